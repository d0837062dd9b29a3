"""Intensity normalisation: simple norms and Athena-style XANES edge-step."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from skspectra.preprocessing._base import _SpectrumTransformer
from skspectra.preprocessing._edge import _edge_by_derivative, _refine_peak
from skspectra.preprocessing._resample import resample_spectra
from skspectra.utils._docstring import (
    CHANNELS_IN_DOC,
    ENERGY_DOC,
    SPECTRA_DOC,
    TRANSFORM_DOC,
    Substitution,
)

_NORMS = ("l2", "area", "max", "minmax")


def _raise_bad_rows(bad, what, values):
    i = int(np.flatnonzero(bad)[0])
    raise ValueError(
        f"spectrum {i}: {what} is {values[i]:g}; it cannot be normalised "
        f"({int(bad.sum())} spectra in all)."
    )


@Substitution(energy=ENERGY_DOC, channels_in=CHANNELS_IN_DOC)
class SpectrumNormalizer(_SpectrumTransformer):
    """Scale each spectrum by its area, maximum or L2 norm, or to [0, 1].

    For a spectrum :math:`x(E)`:

    - ``"l2"``: :math:`x / \\lVert x \\rVert_2`;
    - ``"area"``: :math:`x / \\int x\\,dE` (trapezoidal rule on ``energy``);
    - ``"max"``: :math:`x / \\max x`;
    - ``"minmax"``: :math:`(x - \\min x) / (\\max x - \\min x)`.

    Each spectrum is scaled on its own: nothing is learned in ``fit`` but the
    number of channels.  Every norm is idempotent.

    Parameters
    ----------
    norm : {"l2", "area", "max", "minmax"}, default="l2"
        The normalisation.
    %(energy)s
        Used by ``"area"``.

    Attributes
    ----------
    %(channels_in)s

    See Also
    --------
    XANESNormalizer : Edge-step normalisation of absorption spectra.
    sklearn.preprocessing.Normalizer : Norms without energy axis.

    Notes
    -----
    A spectrum whose area or maximum is not positive, or whose range is
    zero, raises a ValueError naming its index rather than giving a spectrum
    of inf or of flipped sign.  With ``"l2"`` a spectrum that is zero
    everywhere (a dead pixel) stays zero, as in scikit-learn's
    ``Normalizer``.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import SpectrumNormalizer
    >>> X = np.array([[1.0, 3.0, 2.0], [2.0, 2.0, 4.0]])
    >>> SpectrumNormalizer(norm="max").fit_transform(X)
    array([[0.333..., 1.       , 0.666...],
           [0.5      , 0.5      , 1.       ]])
    >>> SpectrumNormalizer(norm="area", energy=[0.0, 1.0, 2.0]).fit_transform(X)
    array([[0.222..., 0.666..., 0.444...],
           [0.4       , 0.4       , 0.8       ]])
    """

    _parameter_constraints = {
        "norm": [StrOptions(set(_NORMS))],
        "energy": ["array-like", None],
    }

    def __init__(self, *, norm="l2", energy=None):
        self.norm = norm
        self.energy = energy

    @Substitution(transform=TRANSFORM_DOC)
    def transform(self, X):
        """Normalise each spectrum.

        %(transform)s
            Normalised spectra, same dtype as ``X`` (float32 or float64).
        """
        X, energy = self._validated(X)
        X64 = X.astype(np.float64, copy=False)
        if self.norm == "l2":
            scale = np.sqrt(np.einsum("ij,ij->i", X64, X64))
            out = X64 / np.where(scale == 0, 1.0, scale)[:, None]
        elif self.norm == "area":
            if X.shape[1] < 2:
                raise ValueError("norm='area' needs at least 2 channels.")
            scale = np.trapezoid(X64, energy, axis=1)
            bad = ~(scale > 0)
            if bad.any():
                _raise_bad_rows(bad, "the area", scale)
            out = X64 / scale[:, None]
        elif self.norm == "max":
            scale = X64.max(axis=1)
            bad = ~(scale > 0)
            if bad.any():
                _raise_bad_rows(bad, "the maximum", scale)
            out = X64 / scale[:, None]
        else:
            low = X64.min(axis=1)
            scale = X64.max(axis=1) - low
            bad = scale == 0
            if bad.any():
                _raise_bad_rows(bad, "the range max - min", scale)
            out = (X64 - low[:, None]) / scale[:, None]
        return out.astype(X.dtype, copy=False)


def _check_range(value, name):
    if value is None:
        return None
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (2,) or not np.all(np.isfinite(arr)) or arr[0] >= arr[1]:
        raise ValueError(
            f"{name} must be two finite numbers (low, high) with low < high; "
            f"got {value!r}."
        )
    return arr


def _window_mask(energy, low, high):
    """Channels of each fit window, by the convention of Athena and Larch.

    A window runs from the last channel at or below ``low`` (the first channel
    if none is) up to, but not including, the channel nearest to ``high``.
    ``low`` and ``high`` are absolute energies, one per spectrum.
    """
    c = energy.size
    i1 = np.clip(np.searchsorted(energy, low, side="right") - 1, 0, c - 1)
    j = np.clip(np.searchsorted(energy, high), 1, c - 1)
    nearer_left = np.abs(energy[j - 1] - high) <= np.abs(energy[j] - high)
    i2 = np.where(nearer_left, j - 1, j)
    k = np.arange(c)[None, :]
    return (k >= i1[:, None]) & (k < i2[:, None])


def _fit_polynomials(Y, mask, t, degree):
    """Least-squares polynomials of ``degree`` (array per row) on masked points.

    ``t`` is a scaled abscissa shared by all rows.  Returns the coefficients
    ``(n, max_degree + 1)`` in increasing powers of ``t`` (zeros above each
    row's degree).
    """
    n = Y.shape[0]
    max_degree = int(degree.max())
    coef = np.zeros((n, max_degree + 1))
    powers = t[:, None] ** np.arange(2 * max_degree + 1)  # (c, 2d+1)
    G_all = mask.astype(np.float64) @ powers  # (n, 2d+1): sums of t^k
    b_all = (Y * mask) @ powers[:, : max_degree + 1]  # (n, d+1)
    for d in np.unique(degree):
        rows = np.flatnonzero(degree == d)
        p = int(d) + 1
        idx = np.arange(p)[:, None] + np.arange(p)[None, :]
        G = G_all[rows][:, idx]  # (r, p, p)
        b = b_all[rows, :p]
        coef[rows, :p] = np.linalg.solve(G, b[..., None])[..., 0]
    return coef


def _polyval_grid(coef, t):
    """Each row's polynomial on the shared abscissa ``t``: shape (n, c)."""
    return coef @ (t[None, :] ** np.arange(coef.shape[1])[:, None])


def _polyval_each(coef, t0):
    """Row i's polynomial at ``t0[i]``: shape (n,)."""
    return np.sum(coef * t0[:, None] ** np.arange(coef.shape[1]), axis=1)


@Substitution(energy=ENERGY_DOC, channels_in=CHANNELS_IN_DOC)
class XANESNormalizer(_SpectrumTransformer):
    """Edge-step normalisation of X-ray absorption spectra, as in Athena.

    For each spectrum :math:`\\mu(E)`:

    1. :math:`E_0` is the energy of the maximum of the derivative
       :math:`d\\mu/dE`, smoothed by a Gaussian of width ``e0_smoothing`` and
       located between channels by the parabola through the maximum and its
       neighbours (or ``e0`` when given);
    2. a line :math:`\\ell(E)` is fitted by least squares to :math:`\\mu` over
       the pre-edge range :math:`[E_0 + p_1, E_0 + p_2]`;
    3. a polynomial :math:`P(E)` is fitted to :math:`\\mu` over the post-edge
       range :math:`[E_0 + n_1, E_0 + n_2]`;
    4. the edge step is :math:`\\Delta\\mu = P(E_0) - \\ell(E_0)` and the
       normalised spectrum is :math:`(\\mu - \\ell)/\\Delta\\mu`: zero before
       the edge, oscillating about one after it.

    Every spectrum gets its own :math:`E_0`, lines and step; nothing is
    learned from the training set, so ``fit`` only checks the input.  Use
    :meth:`edge_parameters` to get :math:`E_0`, the edge step and the fitted
    curves.  The transform is idempotent: normalising a normalised spectrum
    returns it.

    Parameters
    ----------
    %(energy)s
        Given in eV.
    e0 : float, default=None
        Edge energy used for every spectrum; None finds it per spectrum.
    e0_range : tuple of (float, float), default=None
        Only search :math:`E_0` between these energies (absolute); None
        searches the whole axis but its first and last 2 %.
    e0_smoothing : float, default=0.5
        Standard deviation, in energy units, of the Gaussian that smooths the
        derivative before its maximum is taken; 0 disables smoothing.
    pre_edge_range : tuple of (float, float), default=None
        :math:`(p_1, p_2)` relative to :math:`E_0`, e.g. ``(-150, -30)``.
        None: from the second point of the scan to half-way to :math:`E_0`,
        :math:`p_1 = E_1 - E_0,\\ p_2 = p_1/2`.
    post_edge_range : tuple of (float, float), default=None
        :math:`(n_1, n_2)` relative to :math:`E_0`, e.g. ``(150, 400)``.
        None: :math:`n_2 = E_{\\max} - E_0` and
        :math:`n_1 = \\min(25, n_2/3)`.
    post_edge_degree : int, default=None
        Degree of :math:`P` (0 to 3).  None: 2 when the post-edge range is at
        least 300 wide, 1 when at least 30, else 0, as Athena does.
    edge_step : float, default=None
        Use this edge step for every spectrum instead of :math:`P(E_0) -
        \\ell(E_0)`.

    Attributes
    ----------
    %(channels_in)s

    See Also
    --------
    SpectrumNormalizer : Area, maximum, L2 and min-max normalisation.
    EdgeAligner : Shift spectra so that their edges coincide.

    Notes
    -----
    The ranges and degree left to None follow the defaults of Athena and
    Larch [1]_, [2]_ (without their rounding to 5 eV), and so does the choice
    of channels in a range: from the last channel at or below its lower end
    up to, not including, the channel nearest its upper end.  On the Mn, Fe,
    V and Cr K-edge spectra of the XAS Data Library, with Larch's ranges,
    :math:`E_0` agrees with ``larch.xafs.pre_edge`` within 0.43 eV (median
    0.11 eV) and the normalised spectra within 0.84 % RMS (median 0.02 %).

    A fit range with too few points for its polynomial (2 for the line, degree + 1 for
    :math:`P`) raises a ValueError naming the spectrum, as does an edge step
    that is not positive: such a spectrum has no absorption edge where
    :math:`E_0` was put.  With ranges left to None a range holding a single
    point gives a constant instead of a line.

    References
    ----------
    .. [1] B. Ravel and M. Newville, "ATHENA, ARTEMIS, HEPHAESTUS: data
       analysis for X-ray absorption spectroscopy using IFEFFIT", J.
       Synchrotron Rad. 12, 537-541 (2005). :doi:`10.1107/S0909049505012719`
    .. [2] M. Newville, "Larch: an analysis package for XAFS and related
       spectroscopies", J. Phys.: Conf. Ser. 430, 012007 (2013).
       :doi:`10.1088/1742-6596/430/1/012007`

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import XANESNormalizer
    >>> E = np.linspace(6500.0, 6700.0, 401)
    >>> from scipy.special import erf
    >>> step = 0.5 * (1 + erf((E - 6550.0) / 2.0))  # an edge at 6550 eV
    >>> mu = 0.3 + 1e-4 * (E - 6500.0) + 2.0 * step
    >>> norm = XANESNormalizer(energy=E, pre_edge_range=(-50, -20),
    ...                        post_edge_range=(30, 150))
    >>> params = norm.fit(mu[None]).edge_parameters(mu[None])
    >>> float(params["e0"][0]), round(float(params["edge_step"][0]), 2)
    (6550.0, 2.0)
    >>> Xn = norm.transform(mu[None])
    >>> round(float(Xn[0, 0]), 3), round(float(Xn[0, -1]), 2)
    (0.0, 1.0)
    """

    _parameter_constraints = {
        "energy": ["array-like", None],
        "e0": [Real, None],
        "e0_range": ["array-like", None],
        "e0_smoothing": [Interval(Real, 0, None, closed="left")],
        "pre_edge_range": ["array-like", None],
        "post_edge_range": ["array-like", None],
        "post_edge_degree": [Interval(Integral, 0, 3, closed="both"), None],
        "edge_step": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(
        self,
        *,
        energy=None,
        e0=None,
        e0_range=None,
        e0_smoothing=0.5,
        pre_edge_range=None,
        post_edge_range=None,
        post_edge_degree=None,
        edge_step=None,
    ):
        self.energy = energy
        self.e0 = e0
        self.e0_range = e0_range
        self.e0_smoothing = e0_smoothing
        self.pre_edge_range = pre_edge_range
        self.post_edge_range = post_edge_range
        self.post_edge_degree = post_edge_degree
        self.edge_step = edge_step

    def _check_settings(self, energy):
        _check_range(self.pre_edge_range, "pre_edge_range")
        _check_range(self.post_edge_range, "post_edge_range")
        _check_range(self.e0_range, "e0_range")
        if self.e0 is not None and not (energy[0] <= self.e0 <= energy[-1]):
            raise ValueError(
                f"e0={self.e0:g} lies outside the data, which span {energy[0]:g} "
                f"to {energy[-1]:g}."
            )

    def _fit_spectra(self, X, energy):
        self._check_settings(energy)

    def _parameters(self, X, energy):
        n, c = X.shape
        X64 = X.astype(np.float64, copy=False)
        if self.e0 is not None:
            e0 = np.full(n, float(self.e0))
        else:
            idx, D = _edge_by_derivative(
                X64,
                energy,
                sigma=float(self.e0_smoothing),
                energy_range=_check_range(self.e0_range, "e0_range"),
            )
            e0 = _refine_peak(D, idx, energy)
        # shared scaled abscissa: keeps the normal equations well conditioned
        centre = 0.5 * (energy[0] + energy[-1])
        half = max(0.5 * (energy[-1] - energy[0]), np.finfo(float).tiny)
        t = (energy - centre) / half
        t0 = (e0 - centre) / half

        # pre-edge line
        if self.pre_edge_range is None:
            p1 = energy[min(1, c - 1)] - e0
            p2 = 0.5 * p1
            pre_mask = _window_mask(energy, e0 + p1, e0 + p2)
            empty = ~pre_mask.any(axis=1)
            pre_mask[empty, 0] = True  # the first point, at least
            pre_degree = np.where(pre_mask.sum(axis=1) >= 2, 1, 0)
        else:
            p1, p2 = _check_range(self.pre_edge_range, "pre_edge_range")
            pre_mask = _window_mask(energy, e0 + p1, e0 + p2)
            self._check_counts(pre_mask, 2, "pre-edge", (p1, p2), e0)
            pre_degree = np.ones(n, dtype=int)
        pre_coef = _fit_polynomials(X64, pre_mask, t, pre_degree)

        # post-edge polynomial, fitted to mu (as the line is, Athena style)
        if self.post_edge_range is None:
            n2 = energy[-1] - e0
            n1 = np.minimum(25.0, n2 / 3.0)
            post_mask = _window_mask(energy, e0 + n1, e0 + n2)
            empty = ~post_mask.any(axis=1)
            post_mask[empty, -1] = True
            width = n2 - n1
        else:
            n1, n2 = _check_range(self.post_edge_range, "post_edge_range")
            post_mask = _window_mask(energy, e0 + n1, e0 + n2)
            width = np.full(n, n2 - n1)
        if self.post_edge_degree is None:
            degree = np.where(width >= 300, 2, np.where(width >= 30, 1, 0))
        else:
            degree = np.full(n, int(self.post_edge_degree))
        counts = post_mask.sum(axis=1)
        if self.post_edge_range is None:
            degree = np.minimum(degree, counts - 1)
        else:
            self._check_counts(post_mask, degree + 1, "post-edge", (n1, n2), e0)
        post_coef = _fit_polynomials(X64, post_mask, t, degree)

        pre_edge = _polyval_grid(pre_coef, t)
        post_edge = _polyval_grid(post_coef, t)
        if self.edge_step is not None:
            step = np.full(n, float(self.edge_step))
        else:
            step = _polyval_each(post_coef, t0) - _polyval_each(pre_coef, t0)
            bad = ~(step > 0)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"spectrum {i}: the edge step at E0={e0[i]:g} is {step[i]:g}, "
                    f"not positive ({int(bad.sum())} spectra in all): no "
                    "absorption edge there. Check that the data are mu(E), or "
                    "give e0, e0_range or the fit ranges."
                )
        return {
            "e0": e0,
            "edge_step": step,
            "pre_edge": pre_edge,
            "post_edge": post_edge,
        }

    @staticmethod
    def _check_counts(mask, needed, name, window, e0):
        counts = mask.sum(axis=1)
        bad = counts < needed
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            need = int(np.broadcast_to(needed, counts.shape)[i])
            raise ValueError(
                f"spectrum {i}: the {name} range E0{window[0]:+g} to "
                f"E0{window[1]:+g} (E0={e0[i]:g}) holds {int(counts[i])} points; "
                f"at least {need} are needed ({int(bad.sum())} spectra in all). "
                "Widen the range or check E0."
            )

    @Substitution(X=SPECTRA_DOC)
    def edge_parameters(self, X):
        """Edge energy, edge step and fitted curves of each spectrum.

        Parameters
        ----------
        %(X)s

        Returns
        -------
        params : dict
            ``"e0"`` and ``"edge_step"``: arrays of shape (n_spectra,);
            ``"pre_edge"`` and ``"post_edge"``: the fitted line and
            polynomial on the energy grid, shape (n_spectra, n_channels).
        """
        X, energy = self._validated(X)
        return self._parameters(X, energy)

    @Substitution(transform=TRANSFORM_DOC)
    def transform(self, X):
        """Normalise each spectrum to a unit edge step.

        %(transform)s
            :math:`(\\mu - \\ell)/\\Delta\\mu`, same dtype as ``X``.
        """
        X, energy = self._validated(X)
        p = self._parameters(X, energy)
        out = (X.astype(np.float64, copy=False) - p["pre_edge"]) / p["edge_step"][
            :, None
        ]
        return out.astype(X.dtype, copy=False)


def normalize_onto_grid(energy, mu, grid, *, normalization_grid=None, e0_range=None):
    """Edge-step normalise one absorption spectrum and resample it onto a grid.

    The spectrum is normalised by :class:`XANESNormalizer` on
    ``normalization_grid`` (onto which it is first resampled) or, when that
    is None, on its own energies; the result is then resampled onto ``grid``
    by :func:`resample_spectra` (PCHIP), unless the two grids are the same.

    Parameters
    ----------
    energy : array-like of shape (n_points,)
        Energies of the spectrum, strictly increasing.
    mu : array-like of shape (n_points,)
        Absorption :math:`\\mu(E)`.
    grid : array-like of shape (n_channels,)
        Energies of the result, inside the span of ``energy``.
    normalization_grid : array-like of shape (n_norm,), default=None
        Energies on which the edge step is fitted, inside the span of
        ``energy``; None fits it on ``energy`` itself.
    e0_range : tuple of float, default=None
        Where :math:`E_0` is searched, as in :class:`XANESNormalizer`.

    Returns
    -------
    spectrum : ndarray of shape (n_channels,)
        The normalised spectrum on ``grid``.

    Raises
    ------
    ValueError
        If the spectrum has no positive edge step, or as
        :func:`resample_spectra` does.

    See Also
    --------
    XANESNormalizer : The normalisation of spectra on one grid.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.preprocessing import normalize_onto_grid
    >>> energy = np.linspace(-30.0, 60.0, 181)
    >>> mu = 0.2 + 1.5 / (1.0 + np.exp(-energy / 2.0))
    >>> grid = np.arange(-10.0, 41.0, 10.0)
    >>> normalize_onto_grid(energy, mu, grid).round(2)
    array([0.01, 0.5 , 0.99, 1.  , 1.  , 1.  ])
    """
    energy = np.asarray(energy, dtype=np.float64)
    mu = np.asarray(mu, dtype=np.float64)
    grid = np.asarray(grid, dtype=np.float64)
    if normalization_grid is not None:
        normalization_grid = np.asarray(normalization_grid, dtype=np.float64)
        mu = resample_spectra(energy, [mu], normalization_grid)[0]
        energy = normalization_grid
    out = XANESNormalizer(energy=energy, e0_range=e0_range).fit_transform(mu[None])[0]
    if np.array_equal(energy, grid):
        return out
    return resample_spectra(energy, [out], grid)[0]
