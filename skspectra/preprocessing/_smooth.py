"""Savitzky-Golay smoothing and differentiation."""

from numbers import Integral

import numpy as np
from scipy.signal import savgol_filter
from sklearn.utils._param_validation import Interval, StrOptions

from skspectra.preprocessing._base import _SpectrumTransformer
from skspectra.utils._docstring import (
    CHANNELS_IN_DOC,
    ENERGY_DOC,
    TRANSFORM_DOC,
    Substitution,
)


@Substitution(energy=ENERGY_DOC, channels_in=CHANNELS_IN_DOC)
class SavitzkyGolay(_SpectrumTransformer):
    """Smooth or differentiate spectra with a Savitzky-Golay filter.

    Each channel is replaced by the value (or a derivative) at that channel of
    the least-squares polynomial of degree ``polyorder`` fitted to the
    ``window_length`` channels around it [1]_.  Smoothing preserves the area
    and the position of peaks better than a moving average of the same width;
    derivatives are scaled to energy units.

    Parameters
    ----------
    window_length : int, default=7
        Number of channels in the window (odd, larger than ``polyorder``).
    polyorder : int, default=2
        Degree of the local polynomial.
    deriv : int, default=0
        Order of the derivative; 0 smooths.
    %(energy)s
        Must be uniform when ``deriv > 0`` (the derivative is divided by the
        step).
    mode : {"interp", "mirror", "nearest", "wrap", "constant"}, default="interp"
        Treatment of the ends, as in :func:`scipy.signal.savgol_filter`:
        ``"interp"`` fits the polynomial to the last window (needs at least
        ``window_length`` channels).

    Attributes
    ----------
    %(channels_in)s

    See Also
    --------
    scipy.signal.savgol_filter : The filter applied along the channels.

    References
    ----------
    .. [1] A. Savitzky and M. J. E. Golay, "Smoothing and differentiation of
       data by simplified least squares procedures", Anal. Chem. 36,
       1627-1639 (1964). :doi:`10.1021/ac60214a047`

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import SavitzkyGolay
    >>> E = np.arange(9.0)
    >>> X = np.array([E**2])  # a parabola is kept exactly by polyorder=2
    >>> np.allclose(SavitzkyGolay(window_length=5).fit_transform(X), X)
    True
    >>> dX = SavitzkyGolay(window_length=5, deriv=1, energy=0.5 * E).fit_transform(X)
    >>> np.allclose(dX, 4 * E)  # d(E**2)/d(E/2)
    True
    """

    _parameter_constraints = {
        "window_length": [Interval(Integral, 1, None, closed="left")],
        "polyorder": [Interval(Integral, 0, None, closed="left")],
        "deriv": [Interval(Integral, 0, None, closed="left")],
        "energy": ["array-like", None],
        "mode": [StrOptions({"interp", "mirror", "nearest", "wrap", "constant"})],
    }

    def __init__(
        self, *, window_length=7, polyorder=2, deriv=0, energy=None, mode="interp"
    ):
        self.window_length = window_length
        self.polyorder = polyorder
        self.deriv = deriv
        self.energy = energy
        self.mode = mode

    def _check(self, X):
        if self.window_length % 2 == 0:
            raise ValueError(f"window_length must be odd; got {self.window_length}.")
        if self.polyorder >= self.window_length:
            raise ValueError(
                f"polyorder={self.polyorder} must be less than "
                f"window_length={self.window_length}."
            )
        if self.mode == "interp" and X.shape[1] < self.window_length:
            raise ValueError(
                f"mode='interp' needs at least window_length={self.window_length} "
                f"channels; X has {X.shape[1]}. Use a shorter window or another mode."
            )

    def _needs_uniform(self):
        return self.deriv > 0

    def _fit_spectra(self, X, energy):
        self._check(X)

    @Substitution(transform=TRANSFORM_DOC)
    def transform(self, X):
        """Filter each spectrum.

        %(transform)s
            Smoothed spectra or derivatives, same dtype as ``X``.
        """
        X, energy = self._validated(X)
        self._check(X)
        delta = (energy[-1] - energy[0]) / (energy.size - 1) if energy.size > 1 else 1.0
        out = savgol_filter(
            X.astype(np.float64, copy=False),
            self.window_length,
            self.polyorder,
            deriv=self.deriv,
            delta=delta,
            axis=1,
            mode=self.mode,
        )
        return out.astype(X.dtype, copy=False)
