"""Synthetic K-edge XANES spectra with known valence and crystal field."""

import numbers

import numpy as np
from scipy.ndimage import gaussian_filter1d
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, validate_params

# model constants (eV); see the docstring of make_xanes_series
_EDGE_SHIFT_PER_VALENCE = 3.0
_EDGE_WIDTH = 1.2  # Lorentzian FWHM of the core hole (arctangent step)
_WHITE_LINE_OFFSET = 4.0
_WHITE_LINE_FWHM = 5.0
_PRE_EDGE_OFFSET = -8.0
_PRE_EDGE_SHIFT_PER_VALENCE = 1.0
_PRE_EDGE_FWHM = 1.0
_OSC_DAMPING = 25.0


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


@validate_params(
    {
        "n_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_channels": [Interval(numbers.Integral, 2, None, closed="left")],
        "energy_range": ["array-like"],
        "edge_energy": [Interval(numbers.Real, None, None, closed="neither")],
        "valence_range": ["array-like"],
        "crystal_field_range": ["array-like"],
        "resolution": [Interval(numbers.Real, 0, None, closed="left")],
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
    energy_range=(7095.0, 7165.0),
    edge_energy=7112.0,
    valence_range=(2.0, 4.0),
    crystal_field_range=(0.0, 2.5),
    resolution=1.0,
    energy_shift=0.2,
    noise=None,
    counts=None,
    return_X_y=False,
    random_state=None,
):
    r"""K-edge XANES spectra whose shape is set by valence and crystal field.

    Each spectrum is a transition-metal K edge, normalised to a unit edge
    jump, built from the valence :math:`v` and the crystal-field splitting
    :math:`10Dq` (eV), both drawn uniformly from their ranges:

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
      :math:`e_g` peaks :math:`10Dq` apart about their barycentre;
    * oscillation period :math:`P(v) = 18 + 2 (v - 2)` eV (shorter bonds at
      higher valence).

    Valence thus moves the edge, the white line and the pre-edge, and the
    crystal field only splits the pre-edge, smoothly and distinctly, so both
    are recoverable from a spectrum; the calibration offset, the broadening
    (pre-edge peaks 1 eV wide against splittings of 0-2.5 eV) and the noise
    keep that from being trivial.  This mirrors the task of [1]_, estimating
    valence and 10Dq from XANES/ELNES by spectral similarity.

    Noise (at most one kind):

    * ``noise=snr`` adds Gaussian noise of standard deviation
      :math:`\mathrm{rms}(\mu_i) / \mathrm{snr}` to spectrum :math:`i`, so
      that the amplitude signal-to-noise ratio is ``snr``;
    * ``counts=c`` draws Poisson counts with mean :math:`c\,\mu(E)` (``c``
      counts per channel at unit edge jump) and divides by :math:`c`; the
      spectra stay non-negative.

    Parameters
    ----------
    n_samples : int, default=200
        Number of spectra.
    n_channels : int, default=256
        Number of channels of the uniform energy grid.
    energy_range : (float, float), default=(7095.0, 7165.0)
        First and last channel energies (eV).
    edge_energy : float, default=7112.0
        Edge position :math:`E_0` at valence 2 (eV).
    valence_range : (float, float), default=(2.0, 4.0)
        Range of the uniformly drawn valence.
    crystal_field_range : (float, float), default=(0.0, 2.5)
        Range of the uniformly drawn crystal-field splitting 10Dq (eV).
    resolution : float, default=1.0
        FWHM of the Gaussian instrumental broadening (eV); 0 disables it.
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
    random_state : int, RandomState instance or None, default=None
        Seed; the same seed gives the same spectra.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``data`` (n_samples, n_channels) the spectra, ``target``
        (n_samples, 2) the columns ``valence`` and ``crystal_field``,
        ``target_names``, ``energy`` (n_channels,), ``valence``,
        ``crystal_field``, ``noiseless`` (the spectra before noise) and
        ``edge_position`` (:math:`E_e`, eV).
    (X, y) : tuple
        If ``return_X_y`` is True.

    References
    ----------
    .. [1] Suzuki, Y., Hino, H., Kotsugi, M. and Ono, K., "Automated
       estimation of materials parameter from X-ray absorption and electron
       energy-loss spectra with similarity measures", npj Comput. Mater. 5,
       39 (2019). :doi:`10.1038/s41524-019-0176-1`
    .. [2] de Groot, F., Vankó, G. and Glatzel, P., "The 1s x-ray absorption
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
    """
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

    edge = edge_energy + _EDGE_SHIFT_PER_VALENCE * dv + np.reshape(delta, (-1, 1))
    step = 0.5 + np.arctan((E - edge) / (0.5 * _EDGE_WIDTH)) / np.pi
    white = (0.5 + 0.2 * dv) * _lorentzian(
        E, edge + _WHITE_LINE_OFFSET, _WHITE_LINE_FWHM
    )
    pre_centre = (
        edge_energy
        + _PRE_EDGE_OFFSET
        + _PRE_EDGE_SHIFT_PER_VALENCE * dv
        + np.reshape(delta, (-1, 1))
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
    clean = step + white + pre + osc
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
        edge_position=edge[:, 0],
    )
