"""Synthetic K-edge and L2,3-edge XANES spectra with known valence and crystal field."""

import numbers

import numpy as np
from scipy.ndimage import gaussian_filter1d
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from skspectra.utils._docstring import SEED_DOC, Substitution

# model constants (eV); see the docstring of make_xanes_series
_EDGE_SHIFT_PER_VALENCE = 3.0
_EDGE_WIDTH = 1.2  # Lorentzian FWHM of the core hole (arctangent step)
_WHITE_LINE_OFFSET = 4.0
_WHITE_LINE_FWHM = 5.0
_PRE_EDGE_OFFSET = -8.0
_PRE_EDGE_SHIFT_PER_VALENCE = 1.0
_PRE_EDGE_FWHM = 1.0
_OSC_DAMPING = 25.0

# L2,3 model constants; see the docstring of make_xanes_series
_L_EDGE_SHIFT_PER_VALENCE = 1.5
_L3_FWHM = 0.8  # Lorentzian FWHM of the L3 lines (eV)
_L2_FWHM = 1.6  # L2: shorter-lived core hole (Coster-Kronig decay)
_L_WHITE_LINE_AREA = 1.2  # white-line area per d hole (eV x edge jump)
_L_D_COUNT_AT_2 = 5.0  # d electrons at valence 2 (Mn2+: 3d5)

# per-edge defaults: energy_range, edge_energy, resolution
_EDGE_DEFAULTS = {
    "K": ((7095.0, 7165.0), 7112.0, 1.0),
    "L23": ((630.0, 670.0), 640.0, 0.3),
}


def _check_range(value, name, *, lower=-np.inf):
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high); got {value!r}.") from None
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo > hi:
        raise ValueError(
            f"{name} must be a finite pair with low <= high; got {value!r}."
        )
    if lo < lower:
        raise ValueError(f"{name} must lie at or above {lower}; got {value!r}.")
    return lo, hi


def _lorentzian(E, centre, fwhm):
    """Unit-height Lorentzian."""
    half = 0.5 * fwhm
    return half**2 / ((E - centre) ** 2 + half**2)


def _d_holes(n_d):
    """Empty t2g and eg states of a high-spin octahedral d^n ion.

    Electrons fill t2g-up (3), eg-up (2), t2g-down (3), eg-down (2) in that
    order (Hund's rule, weak field); ``n_d`` may be fractional.
    """
    n_d = np.clip(n_d, 0.0, 10.0)
    t2g = np.clip(n_d, 0, 3) + np.clip(n_d - 5, 0, 3)
    eg = n_d - t2g
    return 6.0 - t2g, 4.0 - eg


def _k_edge(E, dv, cf, delta, edge_energy):
    edge = edge_energy + _EDGE_SHIFT_PER_VALENCE * dv + delta
    step = 0.5 + np.arctan((E - edge) / (0.5 * _EDGE_WIDTH)) / np.pi
    white = (0.5 + 0.2 * dv) * _lorentzian(
        E, edge + _WHITE_LINE_OFFSET, _WHITE_LINE_FWHM
    )
    pre_centre = (
        edge_energy + _PRE_EDGE_OFFSET + _PRE_EDGE_SHIFT_PER_VALENCE * dv + delta
    )
    pre = (0.08 * (1.0 + 0.4 * dv)) * (
        0.6 * _lorentzian(E, pre_centre - 0.4 * cf, _PRE_EDGE_FWHM)
        + 0.4 * _lorentzian(E, pre_centre + 0.6 * cf, _PRE_EDGE_FWHM)
    )
    above = np.clip(E - edge, 0.0, None)
    osc = (
        0.06
        * step
        * np.sin(2.0 * np.pi * above / (18.0 + 2.0 * dv))
        * np.exp(-above / _OSC_DAMPING)
    )
    return step + white + pre + osc, edge


def _l23_edge(E, dv, cf, delta, edge_energy, spin_orbit):
    e3 = edge_energy + _L_EDGE_SHIFT_PER_VALENCE * dv + delta
    e2 = e3 + spin_orbit
    holes_t2g, holes_eg = _d_holes(_L_D_COUNT_AT_2 - dv)
    area = _L_WHITE_LINE_AREA * (holes_t2g + holes_eg)
    w_t2g = holes_t2g / (holes_t2g + holes_eg)
    branching = 0.80 - 0.05 * dv
    spectrum = 0.0
    for centre, fwhm, share, jump in (
        (e3, _L3_FWHM, branching, 2.0 / 3.0),
        (e2, _L2_FWHM, 1.0 - branching, 1.0 / 3.0),
    ):
        # unit-height Lorentzian of FWHM w has area pi w / 2
        height = area * share / (0.5 * np.pi * fwhm)
        spectrum = spectrum + height * (
            w_t2g * _lorentzian(E, centre - 0.4 * cf, fwhm)
            + (1.0 - w_t2g) * _lorentzian(E, centre + 0.6 * cf, fwhm)
        )
        spectrum = spectrum + jump * (
            0.5 + np.arctan((E - centre) / (0.5 * fwhm)) / np.pi
        )
    return spectrum, e3


@Substitution(random_state=SEED_DOC)
@validate_params(
    {
        "n_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_channels": [Interval(numbers.Integral, 2, None, closed="left")],
        "edge": [StrOptions({"K", "L23"})],
        "energy_range": ["array-like", None],
        "edge_energy": [Interval(numbers.Real, None, None, closed="neither"), None],
        "valence_range": ["array-like"],
        "crystal_field_range": ["array-like"],
        "resolution": [Interval(numbers.Real, 0, None, closed="left"), None],
        "spin_orbit": [Interval(numbers.Real, 0, None, closed="neither")],
        "energy_shift": [Interval(numbers.Real, 0, None, closed="left")],
        "noise": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "counts": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "return_X_y": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_xanes_series(
    n_samples=200,
    n_channels=256,
    *,
    edge="K",
    energy_range=None,
    edge_energy=None,
    valence_range=(2.0, 4.0),
    crystal_field_range=(0.0, 2.5),
    resolution=None,
    spin_orbit=11.0,
    energy_shift=0.2,
    noise=None,
    counts=None,
    return_X_y=False,
    random_state=None,
):
    r"""XANES spectra (K or L2,3 edge) whose shape is set by valence and 10Dq.

    Each spectrum is a transition-metal absorption edge, normalised to a
    unit edge jump, built from the valence :math:`v` and the crystal-field
    splitting :math:`10Dq` (eV), both drawn uniformly from their ranges.
    ``edge="K"`` gives a K edge, on which 10Dq only splits a weak pre-edge;
    ``edge="L23"`` gives an L2,3 edge (2p to 3d), on which 10Dq splits the
    strong white lines themselves, as in the Mn L2,3 spectra of [1]_.

    Parameters
    ----------
    n_samples : int, default=200
        Number of spectra.
    n_channels : int, default=256
        Number of channels of the uniform energy grid.
    edge : {"K", "L23"}, default="K"
        Which edge to model: a K edge (weak crystal-field pre-edge) or an
        L2,3 edge (crystal-field split white lines).
    energy_range : (float, float), default=None
        First and last channel energies (eV); None means (7095, 7165) for
        the K edge and (630, 670) for the L2,3 edge.
    edge_energy : float, default=None
        Edge position :math:`E_0` at valence 2 (eV): the K edge, or the L3
        centroid; None means 7112 (Fe K) for the K edge and 640 (Mn L3) for
        the L2,3 edge.
    valence_range : (float, float), default=(2.0, 4.0)
        Range of the uniformly drawn valence.
    crystal_field_range : (float, float), default=(0.0, 2.5)
        Range of the uniformly drawn crystal-field splitting 10Dq (eV).
    resolution : float, default=None
        FWHM of the Gaussian instrumental broadening (eV); 0 disables it.
        None means 1.0 eV for the K edge (hard X-rays) and 0.3 eV for the
        L2,3 edge (soft X-rays or monochromated EELS).
    spin_orbit : float, default=11.0
        L3-L2 spin-orbit splitting :math:`\Delta_{so}` (eV); used only with
        ``edge="L23"``.
    energy_shift : float, default=0.2
        Standard deviation of the random energy-calibration offset (eV).
    noise : float, default=None
        Amplitude signal-to-noise ratio of added Gaussian noise; None means
        no Gaussian noise.
    counts : float, default=None
        Poisson count level (counts per channel at unit edge jump); None
        means no Poisson noise.
    return_X_y : bool, default=False
        If True, return ``(X, y)`` instead of a Bunch; the energy grid is
        then ``numpy.linspace(*energy_range, n_channels)``.
    %(random_state)s

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``data`` (n_samples, n_channels) the spectra, ``target``
        (n_samples, 2) the columns ``valence`` and ``crystal_field``,
        ``target_names``, ``energy`` (n_channels,), ``valence``,
        ``crystal_field``, ``noiseless`` (the spectra before noise) and
        ``edge_position`` (eV: :math:`E_e` for the K edge, the L3
        centroid :math:`E_3` for the L2,3 edge).
    (X, y) : tuple
        If ``return_X_y`` is True.

    Notes
    -----
    **K edge** (``edge="K"``):

    .. math::

        \mu(E) = \underbrace{\tfrac12 + \tfrac1\pi
                 \arctan\frac{E - E_e}{\Gamma/2}}_{\text{edge step}}
               + \underbrace{h_w(v)\, L(E; E_e + 4, 5)}_{\text{white line}}
               + \underbrace{a(v)\,[0.6\, L(E; E_p - 0.4\,10Dq, 1)
                 + 0.4\, L(E; E_p + 0.6\,10Dq, 1)]}_{\text{pre-edge } t_{2g},\ e_g}
               + \underbrace{0.06\, s(E)\, \sin\frac{2\pi (E - E_e)_+}{P(v)}
                 e^{-(E - E_e)_+/25}}_{\text{first EXAFS wiggle}},

    then convolved with a Gaussian of FWHM ``resolution`` (the instrument),
    where :math:`L(E; c, w)` is a unit-height Lorentzian of centre :math:`c`
    and FWHM :math:`w`, :math:`(x)_+ = \max(x, 0)`, :math:`s(E)` the edge
    step, :math:`\Gamma = 1.2` eV the core-hole width, and

    * edge position :math:`E_e = E_0 + 3 (v - 2) + \delta` -- the chemical
      shift of about 3 eV per unit of valence, with :math:`E_0 =`
      ``edge_energy`` and a random calibration offset :math:`\delta \sim
      N(0, \sigma_\delta^2)`, :math:`\sigma_\delta =` ``energy_shift``;
    * white-line height :math:`h_w(v) = 0.5 + 0.2 (v - 2)`;
    * pre-edge centroid :math:`E_p = E_0 - 8 + (v - 2) + \delta` (it moves
      less with valence than the edge) and intensity :math:`a(v) = 0.08 (1 +
      0.4 (v - 2))` (more d holes), split into :math:`t_{2g}` and
      :math:`e_g` peaks :math:`10Dq` apart about their barycentre [3]_;
    * oscillation period :math:`P(v) = 18 + 2 (v - 2)` eV (shorter bonds at
      higher valence).

    Valence thus moves the edge, the white line and the pre-edge, and the
    crystal field only splits the pre-edge, smoothly and distinctly, so both
    are recoverable from a spectrum; the calibration offset, the broadening
    (pre-edge peaks 1 eV wide against splittings of 0-2.5 eV) and the noise
    keep that from being trivial.  Under noise, the splitting of a peak a
    tenth of the edge jump high is nearly invisible: at an amplitude
    signal-to-noise ratio of 20 no estimator recovers 10Dq much better than
    to 0.4 eV from 256 channels.

    The K-edge model stands for an ion in octahedral coordination about the
    default valences 2-4, with every valence effect linear in :math:`v - 2`.
    It does not describe a metal (whose measured K edge rises through a
    shoulder from :math:`E_0` and has no white line, rather than stepping
    sharply 6 eV below the edge of valence 2) nor a tetrahedral
    :math:`d^0` oxo-anion such as vanadate or chromate (a pre-edge peak of
    more than half the edge jump and a weak white line, where the model
    gives a weak pre-edge and a white line that grows with valence), so a
    ``valence_range`` reaching 0 or 5-6 gives spectra unlike measured ones
    of those valences.

    **L2,3 edge** (``edge="L23"``), a toy crystal-field model of the
    :math:`2p \to 3d` white lines (not a multiplet calculation; it has no
    2p-3d Coulomb or exchange multiplets, no charge transfer and no
    symmetry below octahedral, which shape real spectra [2]_):

    .. math::

        \mu(E) = \sum_{j \in \{3, 2\}} \Big[
            s_j \big(\tfrac12 + \tfrac1\pi
            \arctan\frac{E - E_j}{\Gamma_j/2}\big)
          + \frac{A(v)\, b_j(v)}{\pi \Gamma_j / 2}
            \big(w(v)\, L(E; E_j - 0.4\,10Dq, \Gamma_j)
            + (1 - w(v))\, L(E; E_j + 0.6\,10Dq, \Gamma_j)\big)\Big],

    then convolved with the Gaussian instrument function of FWHM
    ``resolution``, where

    * :math:`E_3 = E_0 + 1.5 (v - 2) + \delta` is the L3 centroid (chemical
      shift of 1.5 eV per unit of valence, :math:`E_0 =` ``edge_energy``,
      calibration offset :math:`\delta` as for the K edge) and :math:`E_2 =
      E_3 + \Delta_{so}` the L2 centroid, :math:`\Delta_{so} =`
      ``spin_orbit`` the 2p spin-orbit splitting (about 11 eV for Mn);
    * the continuum steps :math:`s_3 = 2/3`, :math:`s_2 = 1/3` follow the
      2:1 occupation of the :math:`2p_{3/2}` and :math:`2p_{1/2}` levels and
      add up to the unit edge jump;
    * each white line is split into a :math:`t_{2g}` and an :math:`e_g` peak
      :math:`10Dq` apart about their barycentre (:math:`-4Dq`, :math:`+6Dq`)
      [2]_, with Lorentzian FWHM :math:`\Gamma_3 = 0.8` eV and
      :math:`\Gamma_2 = 1.6` eV (the L2 core hole also decays by
      Coster-Kronig transitions, so L2 is broader); these widths stand for
      the lifetime and the unresolved multiplet structure together;
    * the d-electron count is :math:`n_d = 7 - v` (Mn: 3d5 at valence 2,
      3d3 at valence 4), filled high-spin (:math:`t_{2g}\uparrow`,
      :math:`e_g\uparrow`, :math:`t_{2g}\downarrow`,
      :math:`e_g\downarrow`), which gives :math:`h_{t}(v)` empty
      :math:`t_{2g}` and :math:`h_{e}(v)` empty :math:`e_g` states; the
      :math:`t_{2g}` weight is :math:`w = h_t / (h_t + h_e)` (0.6 at valence
      2, 0.43 at valence 4) and the total white-line area :math:`A(v) = 1.2
      (h_t + h_e)` eV grows with the number of d holes;
    * the L3 share of the white-line intensity (branching ratio)
      :math:`b_3(v) = 0.80 - 0.05 (v - 2)`, :math:`b_2 = 1 - b_3`, falls from
      0.8 towards the statistical 2/3 as d electrons are removed.

    Valence thus moves both lines, changes their intensity, the L3:L2 ratio
    and the :math:`t_{2g}:e_g` ratio; 10Dq splits both lines.  Both are
    recoverable from a noisy spectrum; the calibration offset (0.2 eV
    against a chemical shift of 1.5 eV per valence) is what limits valence.
    This reproduces the task of [1]_, estimating valence and 10Dq from
    L2,3 spectra by spectral similarity.

    Noise (at most one kind):

    * ``noise=snr`` adds Gaussian noise of standard deviation
      :math:`\mathrm{rms}(\mu_i) / \mathrm{snr}` to spectrum :math:`i`, so
      that the amplitude signal-to-noise ratio is ``snr``;
    * ``counts=c`` draws Poisson counts with mean :math:`c\,\mu(E)` (``c``
      counts per channel at unit edge jump) and divides by :math:`c`; the
      spectra stay non-negative.

    References
    ----------
    .. [1] Suzuki, Y., Hino, H., Kotsugi, M. and Ono, K., "Automated
       estimation of materials parameter from X-ray absorption and electron
       energy-loss spectra with similarity measures", npj Comput. Mater. 5,
       39 (2019). :doi:`10.1038/s41524-019-0176-1`
    .. [2] de Groot, F., "Multiplet effects in X-ray spectroscopy", Coord.
       Chem. Rev. 249, 31-63 (2005). :doi:`10.1016/j.ccr.2004.03.018`
    .. [3] de Groot, F., Vankó, G. and Glatzel, P., "The 1s x-ray absorption
       pre-edge structures in transition metal oxides", J. Phys.: Condens.
       Matter 21, 104207 (2009). :doi:`10.1088/0953-8984/21/10/104207`

    Examples
    --------
    >>> from skspectra.datasets import make_xanes_series
    >>> data = make_xanes_series(n_samples=5, n_channels=100, noise=50.0,
    ...                          random_state=0)
    >>> data.data.shape, data.target.shape, data.energy.shape
    ((5, 100), (5, 2), (100,))
    >>> data.target_names
    ['valence', 'crystal_field']
    >>> l23 = make_xanes_series(n_samples=3, edge="L23", random_state=0)
    >>> l23.energy[[0, -1]]
    array([630., 670.])
    >>> bool((l23.data.max(axis=1) > 2).all())  # white lines above the jump
    True
    """
    default_range, default_edge, default_resolution = _EDGE_DEFAULTS[edge]
    if energy_range is None:
        energy_range = default_range
    if edge_energy is None:
        edge_energy = default_edge
    if resolution is None:
        resolution = default_resolution
    e_lo, e_hi = _check_range(energy_range, "energy_range")
    if e_lo >= e_hi:
        raise ValueError(f"energy_range must be increasing; got {energy_range!r}.")
    v_lo, v_hi = _check_range(valence_range, "valence_range")
    cf_lo, cf_hi = _check_range(crystal_field_range, "crystal_field_range", lower=0.0)
    if noise is not None and counts is not None:
        raise ValueError("give either noise (Gaussian) or counts (Poisson), not both.")
    rng = check_random_state(random_state)
    energy = np.linspace(e_lo, e_hi, n_channels)

    valence = rng.uniform(v_lo, v_hi, n_samples)
    crystal_field = rng.uniform(cf_lo, cf_hi, n_samples)
    delta = rng.normal(0.0, energy_shift, n_samples) if energy_shift > 0 else 0.0
    dv = (valence - 2.0)[:, None]
    cf = crystal_field[:, None]
    E = energy[None, :]
    delta = np.reshape(delta, (-1, 1))
    if edge == "K":
        clean, edge_position = _k_edge(E, dv, cf, delta, edge_energy)
    else:
        clean, edge_position = _l23_edge(E, dv, cf, delta, edge_energy, spin_orbit)
    if resolution > 0 and n_channels > 1:
        sigma_channels = resolution / (2.0 * np.sqrt(2.0 * np.log(2.0)))
        sigma_channels /= energy[1] - energy[0]
        clean = gaussian_filter1d(clean, sigma_channels, axis=1, mode="nearest")
    clean = np.clip(clean, 0.0, None)

    if noise is not None:
        rms = np.sqrt(np.mean(clean**2, axis=1, keepdims=True))
        X = clean + rng.standard_normal(clean.shape) * (rms / noise)
    elif counts is not None:
        X = rng.poisson(clean * counts) / counts
    else:
        X = clean.copy()

    y = np.column_stack([valence, crystal_field])
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        target_names=["valence", "crystal_field"],
        energy=energy,
        valence=valence,
        crystal_field=crystal_field,
        noiseless=clean,
        edge_position=edge_position[:, 0],
    )
