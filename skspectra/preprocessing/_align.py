"""Energy alignment of absorption edges."""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array

from skspectra.preprocessing._augment import _shift
from skspectra.preprocessing._base import _check_finite_rows, _SpectrumTransformer
from skspectra.preprocessing._edge import (
    _edge_by_derivative,
    _half_height_energy,
    _refine_peak,
)
from skspectra.utils._docstring import (
    CHANNELS_IN_DOC,
    ENERGY_DOC,
    SPECTRA_DOC,
    TRANSFORM_DOC,
    Substitution,
)
from skspectra.utils.validation import check_energy


@Substitution(energy=ENERGY_DOC)
def edge_energy(X, energy=None, *, method="derivative", smoothing=0.5, level=0.5):
    """Edge position of each spectrum.

    Parameters
    ----------
    X : array-like of shape (n_spectra, n_channels)
        Spectra on one grid.
    %(energy)s
    method : {"derivative", "half_height"}, default="derivative"
        ``"derivative"``: the maximum of the derivative, smoothed by a
        Gaussian of standard deviation ``smoothing`` (energy units) and
        refined between channels by a parabola (the first and last 2 % of the
        channels are not searched); ``"half_height"``: the first energy where
        the spectrum reaches ``level``, by linear interpolation -- for
        edge-step normalised spectra (:class:`XANESNormalizer`), whose edge
        rises from 0 to 1, it is the energy at half the edge step, which is
        less sensitive than the derivative maximum to the shape of the edge.
    smoothing : float, default=0.5
        Gaussian width for ``"derivative"``.
    level : float, default=0.5
        Height (fraction of the edge step) for ``"half_height"``.

    Returns
    -------
    edge : ndarray of shape (n_spectra,)
        Edge energies.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import edge_energy
    >>> E = np.linspace(0.0, 10.0, 101)
    >>> X = 0.5 + 0.5 * np.tanh([E - 4.0, E - 6.0])  # steps from 0 to 1
    >>> edge_energy(X, E).round(3)
    array([4., 6.])
    >>> edge_energy(X, E, method="half_height")
    array([4., 6.])
    """
    X = check_array(X, dtype=np.float64, ensure_all_finite=False)
    _check_finite_rows(X)
    energy = check_energy(energy, X.shape[1])
    if method == "derivative":
        idx, D = _edge_by_derivative(X, energy, sigma=float(smoothing))
        return _refine_peak(D, idx, energy)
    if method == "half_height":
        return _half_height_energy(X, energy, level=level)
    raise ValueError(f"method must be 'derivative' or 'half_height'; got {method!r}.")


def _xcorr_shifts(D, ref, step, max_lag):
    """Shift (energy) that best aligns each row of D with ref (FFT, parabola)."""
    n, c = D.shape
    size = 1 << int(np.ceil(np.log2(2 * c)))
    Dc = D - D.mean(axis=1, keepdims=True)
    rc = ref - ref.mean()
    spec = np.fft.rfft(Dc, size, axis=1) * np.conj(np.fft.rfft(rc, size))[None, :]
    cc = np.fft.irfft(spec, size, axis=1)
    # cc[:, k] = sum_j D[j + k] ref[j]: row is ref shifted right by k channels
    lags = np.concatenate([np.arange(0, max_lag + 1), np.arange(-max_lag, 0)])
    cc = cc[:, lags % size]
    best = np.argmax(cc, axis=1)
    lag = lags[best].astype(np.float64)
    left = cc[np.arange(n), (best - 1) % lags.size]
    right = cc[np.arange(n), (best + 1) % lags.size]
    centre = cc[np.arange(n), best]
    den = left - 2 * centre + right
    inner = np.abs(lags[best]) < max_lag
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(inner & (den < 0), 0.5 * (left - right) / den, 0.0)
    return (lag + np.clip(frac, -0.5, 0.5)) * step


@Substitution(energy=ENERGY_DOC, channels_in=CHANNELS_IN_DOC)
class EdgeAligner(_SpectrumTransformer):
    """Shift each spectrum along the energy axis so that the edges coincide.

    The edge of each spectrum is located (``method``), and the spectrum is
    shifted by :math:`\\delta_i = E_{\\mathrm{edge},i} - E_{\\mathrm{target}}`:
    :math:`x_i'(E) = x_i(E + \\delta_i)`, by linear interpolation, the first and
    last values being held beyond the ends.  With ``"xcorr"`` the shift
    maximises the cross-correlation of the derivative of the spectrum with
    that of a reference, refined between channels by a parabola.

    Alignment is optional: the edge position carries the oxidation state
    (a few eV per valence unit at transition-metal K edges), so align only
    spectra whose energy calibration is in doubt, or to study the shape
    alone.

    Parameters
    ----------
    %(energy)s
        Must be uniform for ``"xcorr"``.
    method : {"derivative", "half_height", "xcorr"}, default="derivative"
        Edge locator, see :func:`edge_energy` (``"half_height"`` needs
        edge-step normalised spectra); or cross-correlation.
    target_energy : float, default=None
        Common edge energy for ``"derivative"`` and ``"half_height"``; None
        learns the median edge energy of the training spectra.
    reference : array-like of shape (n_channels,), default=None
        Reference spectrum for ``"xcorr"``; None uses the mean training
        spectrum.
    smoothing : float, default=0.5
        Gaussian width (energy units) of the derivative smoothing.
    max_shift : float, default=None
        Largest shift allowed (energy units); a larger one raises a
        ValueError naming the spectrum.  None allows any shift for the edge
        methods and a quarter of the energy range for ``"xcorr"``.

    Attributes
    ----------
    target_energy_ : float or None
        The common edge energy (edge methods).
    reference_ : ndarray of shape (`n_features_in_`,) or None
        The reference spectrum (``"xcorr"``).
    %(channels_in)s

    See Also
    --------
    edge_energy : Edge position of each spectrum.
    XANESNormalizer : Edge-step normalisation.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import EdgeAligner
    >>> E = np.linspace(0.0, 10.0, 201)
    >>> X = np.array([np.tanh(E - 4.0), np.tanh(E - 5.0), np.tanh(E - 6.0)])
    >>> aligner = EdgeAligner(energy=E).fit(X)
    >>> aligner.target_energy_
    5.0
    >>> aligner.shifts(X).round(4)
    array([-1.,  0.,  1.])
    """

    _parameter_constraints = {
        "energy": ["array-like", None],
        "method": [StrOptions({"derivative", "half_height", "xcorr"})],
        "target_energy": [Real, None],
        "reference": ["array-like", None],
        "smoothing": [Interval(Real, 0, None, closed="left")],
        "max_shift": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(
        self,
        *,
        energy=None,
        method="derivative",
        target_energy=None,
        reference=None,
        smoothing=0.5,
        max_shift=None,
    ):
        self.energy = energy
        self.method = method
        self.target_energy = target_energy
        self.reference = reference
        self.smoothing = smoothing
        self.max_shift = max_shift

    def _edges(self, X, energy):
        method = "derivative" if self.method == "derivative" else "half_height"
        return edge_energy(X, energy, method=method, smoothing=self.smoothing)

    def _needs_uniform(self):
        return self.method == "xcorr"

    def _fit_spectra(self, X, energy):
        """Learn the target edge energy or the reference spectrum."""
        self.target_energy_ = None
        self.reference_ = None
        if self.method == "xcorr" and self.target_energy is not None:
            raise ValueError(
                "target_energy is for the edge methods; method='xcorr' aligns to "
                "reference instead."
            )
        if self.method != "xcorr" and self.reference is not None:
            raise ValueError(
                f"reference is for method='xcorr'; method={self.method!r} aligns "
                "to target_energy instead."
            )
        if self.method == "xcorr":
            if self.reference is None:
                self.reference_ = X.astype(np.float64).mean(axis=0)
            else:
                ref = check_array(
                    np.asarray(self.reference, dtype=np.float64).reshape(1, -1)
                )[0]
                if ref.size != X.shape[1]:
                    raise ValueError(
                        f"reference has {ref.size} channels but X has {X.shape[1]}."
                    )
                self.reference_ = ref
        elif self.target_energy is None:
            self.target_energy_ = float(np.median(self._edges(X, energy)))
        else:
            self.target_energy_ = float(self.target_energy)

    @Substitution(X=SPECTRA_DOC)
    def shifts(self, X):
        """Energy shift of each spectrum: positive when its edge is too high.

        Parameters
        ----------
        %(X)s

        Returns
        -------
        shifts : ndarray of shape (n_spectra,)
            :math:`\\delta_i`; the aligned spectrum is :math:`x_i(E+\\delta_i)`.
        """
        X, energy = self._validated(X)
        return self._shifts(X, energy)

    def _shifts(self, X, energy):
        X64 = X.astype(np.float64, copy=False)
        if self.method == "xcorr":
            c = X.shape[1]
            step = (energy[-1] - energy[0]) / (c - 1) if c > 1 else 1.0
            limit = self.max_shift if self.max_shift is not None else 0.25 * c * step
            max_lag = max(0, min(c - 1, int(np.floor(limit / step))))
            D = np.gradient(X64, axis=1) if c > 1 else X64
            ref = np.gradient(self.reference_) if c > 1 else self.reference_
            shifts = _xcorr_shifts(D, ref, step, max_lag)
        else:
            shifts = self._edges(X64, energy) - self.target_energy_
        if self.max_shift is not None:
            bad = np.abs(shifts) > self.max_shift + 1e-12
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"spectrum {i}: its edge would move by {shifts[i]:g}, more than "
                    f"max_shift={self.max_shift:g} ({int(bad.sum())} spectra in all)."
                )
        return shifts

    @Substitution(transform=TRANSFORM_DOC)
    def transform(self, X):
        """Shift each spectrum so that its edge sits at the common energy.

        %(transform)s
            Aligned spectra, same dtype as ``X``.
        """
        X, energy = self._validated(X)
        shifts = self._shifts(X, energy)
        # x_i(E + delta_i) is a shift by -delta_i
        return _shift(X, energy, -shifts)
