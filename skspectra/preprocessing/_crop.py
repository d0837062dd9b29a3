"""Keep an energy window of spectra on a common grid."""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.validation import check_is_fitted

from skspectra.preprocessing._base import _SpectraMixin
from skspectra.utils._docstring import (
    CHANNELS_IN_DOC,
    ENERGY_DOC,
    SPECTRA_DOC,
    Substitution,
)


@Substitution(energy=ENERGY_DOC, channels_in=CHANNELS_IN_DOC)
class EnergyCrop(_SpectraMixin, SelectorMixin, BaseEstimator):
    """Keep the channels whose energy lies in ``[e_min, e_max]``.

    A feature selector in scikit-learn's sense: :meth:`get_support` gives the
    kept channels, :meth:`inverse_transform` puts cropped spectra back on the
    full grid (zeros outside the window), and the output feature names are
    those of the kept channels.

    Parameters
    ----------
    %(energy)s
    e_min : float, default=None
        Lowest energy kept (inclusive); None keeps from the first channel.
    e_max : float, default=None
        Highest energy kept (inclusive); None keeps up to the last channel.

    Attributes
    ----------
    mask_ : ndarray of shape (`n_features_in_`,), dtype bool
        The kept channels.
    energy_out_ : ndarray of shape (n_channels_out,)
        Energies of the kept channels: what
        :class:`~skspectra.pipeline.SpectralPipeline` gives the next step as
        its ``energy``.
    %(channels_in)s

    See Also
    --------
    resample_spectra : Interpolate onto a new grid instead of cutting.
    sklearn.feature_selection.SelectorMixin : The selector interface.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import EnergyCrop
    >>> crop = EnergyCrop(energy=[10.0, 11.0, 12.0, 13.0], e_min=10.5, e_max=12.0)
    >>> crop.fit_transform(np.array([[1.0, 2.0, 3.0, 4.0]]))
    array([[2., 3.]])
    >>> crop.energy_out_
    array([11., 12.])
    >>> crop.get_support(indices=True)
    array([1, 2])
    >>> crop.inverse_transform([[2.0, 3.0]])
    array([[0., 2., 3., 0.]])
    """

    _parameter_constraints = {
        "energy": ["array-like", None],
        "e_min": [Real, None],
        "e_max": [Real, None],
    }

    def __init__(self, *, energy=None, e_min=None, e_max=None):
        self.energy = energy
        self.e_min = e_min
        self.e_max = e_max

    def _fit_spectra(self, X, energy):
        """Find the channels inside the window."""
        low = -np.inf if self.e_min is None else self.e_min
        high = np.inf if self.e_max is None else self.e_max
        if low > high:
            raise ValueError(f"e_min={self.e_min} is above e_max={self.e_max}.")
        mask = (energy >= low) & (energy <= high)
        if not mask.any():
            raise ValueError(
                f"no channel lies in [{self.e_min}, {self.e_max}]; the energy axis "
                f"spans {energy[0]:g} to {energy[-1]:g}."
            )
        self.mask_ = mask
        self.energy_out_ = energy[mask]

    @Substitution(X=SPECTRA_DOC)
    def transform(self, X):
        """Cut each spectrum to the window.

        Parameters
        ----------
        %(X)s

        Returns
        -------
        X_new : ndarray of shape (n_spectra, n_channels_out)
            The kept channels (a new array, same dtype as ``X``).
        """
        X, _ = self._validated(X)
        return self._transform(X)

    def _get_support_mask(self):
        """The kept channels, ``mask_``: what the selector methods build on."""
        check_is_fitted(self)
        return self.mask_
