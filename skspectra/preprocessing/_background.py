"""Power-law pre-edge background of core-loss EELS."""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import StrOptions

from skspectra.preprocessing._base import _SpectrumTransformer, _validate_X
from skspectra.utils._docstring import (
    CHANNELS_IN_DOC,
    SPECTRA_DOC,
    TRANSFORM_DOC,
    Substitution,
)
from skspectra.utils.validation import check_energy

# exponents searched by the two-area method; EELS backgrounds have r of 2 to 6
_R_BRACKET = (-20.0, 40.0)


def _g(q, s):
    """(q**s - 1) / s with its limit log(q) at s = 0 (vectorised)."""
    lq = np.log(q)
    x = s * lq
    small = np.abs(x) < 1e-8
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.expm1(x) / np.where(small, 1.0, s)
    return np.where(small, lq * (1 + 0.5 * x), out)


def _two_area(I1, I2, e1, e2, e3, n_iter=80):
    """Exponent r with integral ratio I1/I2 over [e1, e2] and [e2, e3].

    Solves (e2^s - e1^s) / (e3^s - e2^s) = I1/I2 with s = 1 - r by bisection
    (the ratio increases monotonically with r).  Returns r and a boolean
    array telling where the root lies inside the bracket.
    """
    log_ratio = np.log(I1) - np.log(I2)

    def f(r):
        s = 1.0 - r
        return (
            s * np.log(e1 / e2) + np.log(_g(e2 / e1, s)) - np.log(_g(e3 / e2, s))
        ) - log_ratio

    lo = np.full(I1.shape, _R_BRACKET[0])
    hi = np.full(I1.shape, _R_BRACKET[1])
    ok = (f(lo) <= 0) & (f(hi) >= 0)
    for _ in range(n_iter):
        mid = 0.5 * (lo + hi)
        up = f(mid) < 0
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    return 0.5 * (lo + hi), ok


@Substitution(channels_in=CHANNELS_IN_DOC)
class PowerLawBackground(_SpectrumTransformer):
    """Subtract a power-law background :math:`A E^{-r}` fitted before an edge.

    The background under a core-loss EELS edge falls off as a power of the
    energy loss [1]_.  For each spectrum, :math:`A` and :math:`r` are fitted
    in ``fit_range`` (a window before the edge) and :math:`A E^{-r}` is
    subtracted from every channel, so the edge that follows stands on zero.

    ``method="two_area"`` (the default) matches the integrals of the model to
    the counts of the two halves of the window exactly [1]_: it needs only
    the two half-window sums to be positive, so it copes with noisy channels
    at or below zero, and the total counts of the window equal those of the
    model.  ``method="least_squares"`` fits :math:`\\log I = \\log A - r \\log
    E` by least squares and needs every channel of the window positive.

    Parameters
    ----------
    energy : array-like of shape (n_channels,), default=None
        Channel energy losses, all positive.  None means the channel number
        1, 2, ..., n_channels (a power law needs positive abscissae).
    fit_range : tuple of (float, float), default=None
        The window ``(low, high)`` in energy units, before the edge; None uses
        the lower half of the channels (at least two).
    method : {"two_area", "least_squares"}, default="two_area"
        How :math:`A` and :math:`r` are found.
    exponent : float, default=None
        Fix :math:`r` (e.g. measured on a thicker or cleaner reference) and
        fit only :math:`A`, by linear least squares of :math:`A E^{-r}` to the
        counts of the window: defined for any data, even a window whose counts
        sum to zero or less, which then gives :math:`A \\le 0`.  None fits
        :math:`r` by ``method``.

    Attributes
    ----------
    %(channels_in)s

    See Also
    --------
    XANESNormalizer : Pre-edge line and edge step of X-ray absorption spectra.

    Notes
    -----
    Nothing is learned from the training spectra: every spectrum gets its own
    :math:`A` and :math:`r`, which :meth:`background_parameters` returns.  A
    window with fewer than two channels, a half-window sum that is not
    positive, or an exponent outside [-20, 40] raises a ValueError naming the
    spectrum.

    References
    ----------
    .. [1] R. F. Egerton, "Electron Energy-Loss Spectroscopy in the Electron
       Microscope", 3rd ed., Springer (2011), section 4.4.2.
       :doi:`10.1007/978-1-4419-9583-4`

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import PowerLawBackground
    >>> E = np.linspace(300.0, 600.0, 301)
    >>> X = np.array([1e9 * E**-3.0])
    >>> bg = PowerLawBackground(energy=E, fit_range=(320.0, 400.0)).fit(X)
    >>> params = bg.background_parameters(X)
    >>> round(float(params["exponent"][0]), 3)
    3.0
    >>> float(np.abs(bg.transform(X)).max() / X.max()) < 1e-4
    True
    """

    _parameter_constraints = {
        "energy": ["array-like", None],
        "fit_range": ["array-like", None],
        "method": [StrOptions({"two_area", "least_squares"})],
        "exponent": [Real, None],
    }

    def __init__(
        self, *, energy=None, fit_range=None, method="two_area", exponent=None
    ):
        self.energy = energy
        self.fit_range = fit_range
        self.method = method
        self.exponent = exponent

    def _energy_and_window(self, n_channels):
        if self.energy is None:
            energy = np.arange(1.0, n_channels + 1.0)
        else:
            energy = check_energy(self.energy, n_channels)
        if energy[0] <= 0:
            raise ValueError(
                f"energy must be positive for a power law; it starts at {energy[0]:g}."
            )
        if n_channels < 2:
            raise ValueError(
                "a power-law fit needs at least 2 channels; got 1 feature(s)."
            )
        if self.fit_range is None:
            # the lower half of the channels, at least two
            low, high = energy[0], energy[max(1, n_channels // 2 - 1)]
        else:
            window = np.asarray(self.fit_range, dtype=np.float64)
            if window.shape != (2,) or not np.all(np.isfinite(window)):
                raise ValueError(
                    f"fit_range must be two finite numbers; got {self.fit_range!r}."
                )
            low, high = window
            if low >= high:
                raise ValueError(f"fit_range low {low:g} must be below high {high:g}.")
        idx = np.flatnonzero((energy >= low) & (energy <= high))
        if idx.size < 2:
            raise ValueError(
                f"fit_range [{low:g}, {high:g}] holds {idx.size} channels; at least "
                f"2 are needed (the energy axis spans {energy[0]:g} to "
                f"{energy[-1]:g})."
            )
        return energy, idx

    def _validate(self, X, *, reset):
        # the energy axis and the window are checked together, by
        # _energy_and_window, which also serves None as 1, 2, ... (a power law
        # needs positive energies)
        X = _validate_X(self, X, reset=reset)
        energy, _ = self._energy_and_window(X.shape[1])
        return X, energy

    def _parameters(self, X):
        energy, idx = self._energy_and_window(X.shape[1])
        Y = X[:, idx].astype(np.float64)
        e = energy[idx]
        if self.exponent is not None:
            r = np.full(X.shape[0], float(self.exponent))
            basis = e ** (-r[0])
            amplitude = Y @ basis / (basis @ basis)
            with np.errstate(divide="ignore"):
                log_a = np.log(np.abs(amplitude))
            return energy, amplitude, r, log_a
        if self.method == "least_squares":
            bad = ~(Y > 0).all(axis=1)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"spectrum {i}: method='least_squares' needs positive counts "
                    f"in fit_range; {int((Y[i] <= 0).sum())} channels are not "
                    "(use method='two_area', which needs only positive sums)."
                )
            x = np.log(e)
            xc = x - x.mean()
            ly = np.log(Y)
            slope = (ly - ly.mean(axis=1, keepdims=True)) @ xc / (xc @ xc)
            r = -slope
            log_a = ly.mean(axis=1) + r * x.mean()
        else:
            m = idx.size // 2
            widths = np.gradient(energy)[idx]
            lower = e - 0.5 * widths
            upper = e + 0.5 * widths
            I1 = Y[:, :m] @ widths[:m]
            I2 = Y[:, m : 2 * m] @ widths[m : 2 * m]
            e1, e2, e3 = lower[0], 0.5 * (upper[m - 1] + lower[m]), upper[2 * m - 1]
            bad = ~((I1 > 0) & (I2 > 0))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"spectrum {i}: the counts in the two halves of fit_range sum "
                    f"to {I1[i]:g} and {I2[i]:g}; both must be positive for a "
                    f"power-law background ({int(bad.sum())} spectra in all)."
                )
            r, ok = _two_area(I1, I2, e1, e2, e3)
            if not ok.all():
                i = int(np.flatnonzero(~ok)[0])
                raise ValueError(
                    f"spectrum {i}: the background in fit_range does not follow a "
                    f"power law with exponent in {list(_R_BRACKET)} (half-window "
                    f"sums {I1[i]:g} and {I2[i]:g})."
                )
            s = 1.0 - r
            log_a = np.log(I1 + I2) - s * np.log(e1) - np.log(_g(e3 / e1, s))
        return energy, np.exp(log_a), r, log_a

    @staticmethod
    def _background(energy, amplitude, r):
        # A E^-r computed in logs: A may be huge when r is large
        sign = np.sign(amplitude)[:, None]
        with np.errstate(divide="ignore"):
            log_a = np.log(np.abs(amplitude))[:, None]
        return sign * np.exp(log_a - r[:, None] * np.log(energy)[None, :])

    def _fitted_background(self, X):
        """``(X, amplitude, exponent, background)`` for a fitted transformer."""
        X, _ = self._validated(X)
        energy, amplitude, r, _ = self._parameters(X)
        return X, amplitude, r, self._background(energy, amplitude, r)

    @Substitution(X=SPECTRA_DOC)
    def background_parameters(self, X):
        """Fitted amplitude, exponent and background of each spectrum.

        Parameters
        ----------
        %(X)s

        Returns
        -------
        params : dict
            ``"amplitude"`` (A) and ``"exponent"`` (r), shape (n_spectra,);
            ``"background"``: :math:`A E^{-r}` on every channel, shape
            (n_spectra, n_channels).
        """
        _, amplitude, r, background = self._fitted_background(X)
        return {"amplitude": amplitude, "exponent": r, "background": background}

    @Substitution(transform=TRANSFORM_DOC)
    def transform(self, X):
        """Subtract each spectrum's power-law background.

        %(transform)s
            Background-subtracted spectra, same dtype as ``X``.
        """
        X, _, _, background = self._fitted_background(X)
        return (X.astype(np.float64) - background).astype(X.dtype, copy=False)
