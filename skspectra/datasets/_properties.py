"""Core-loss spectra of six structural properties, clean or as if measured.

Each spectrum is an absorption edge with a pre-edge line, a white line and
two resonances above the edge, and each of six properties moves positions,
widths or heights of these features by a stated rule, so every property is
written into the spectrum and none is a copy of another.  Computed spectra
are clean; ``measured=True`` adds what a measurement adds: an energy
calibration offset, the instrumental resolution, a residual background and
counting noise.  Training on clean spectra and testing on measured ones is
the computed-to-measured gap of Kiyohara et al. (2019).
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from skspectra.preprocessing import (
    add_background,
    add_poisson_noise,
    broaden_spectra,
    shift_spectra,
)

PROPERTY_NAMES = (
    "bond_length",
    "bond_angle",
    "ionicity",
    "transition_energy",
    "coordination",
    "disorder",
)
# the range each property is drawn from, uniformly
_PROPERTY_RANGES = {
    "bond_length": (1.85, 2.25),  # Å
    "bond_angle": (120.0, 180.0),  # degrees
    "ionicity": (0.2, 0.9),  # fraction of an electron transferred
    "transition_energy": (1.0, 4.0),  # eV, pre-edge line to edge
    "coordination": (4.0, 8.0),  # neighbours (a continuous average)
    "disorder": (0.002, 0.012),  # Å², mean square relative displacement
}
# nominal edge energy (an O K edge) and the energy range of the spectra
_EDGE = 532.0
_ENERGY_RANGE = (522.0, 572.0)
# (E_r - E_edge) d**2 of the multiple-scattering resonance, eV Å²: Natoli's
# rule that a resonance above the edge moves as the inverse square of the
# bond length; 60 puts it 12 to 18 eV above the edge
_NATOLI = 60.0

# a measured power-law background falls to this fraction (drawn uniformly)
# of its first value across the spectrum: a tail of the edges below
_BACKGROUND_FALL = (0.2, 1.0)
# smallest first value of a power-law background, relative to its bound, so
# that the power law through the two ends is defined
_MIN_BACKGROUND = 1e-6

FEATURE_RULES = {
    "edge position": "E_edge = 532 + 1.5 (ionicity - 0.5)",
    "edge width": "0.8 + 40 disorder",
    "pre-edge line": (
        "at E_edge - transition_energy, width 0.6, height 0.1 + 0.8 (1 - ionicity)"
    ),
    "white line": (
        "at E_edge + 2 + 0.3 (coordination - 6), width 1 + 0.15 (coordination - 4), "
        "height 0.6 + 0.8 ionicity"
    ),
    "first resonance": (
        "at E_edge + 7 + (180 - bond_angle) / 30, width 1.5 + 100 disorder, "
        "height 0.2 + 0.6 (1 + cos bond_angle)"
    ),
    "second resonance": (
        "at E_edge + 60 / bond_length**2, width 2 + 150 disorder, "
        "height 0.5 (1 - 40 disorder)"
    ),
}


def _gaussian(E, centre, width, height):
    return height[:, None] * np.exp(
        -0.5 * ((E - centre[:, None]) / width[:, None]) ** 2
    )


def _clean_spectra(E, p):
    """Noise-free spectra of the properties ``p`` (a dict of arrays)."""
    d, theta = p["bond_length"], np.deg2rad(p["bond_angle"])
    q, t = p["ionicity"], p["transition_energy"]
    c, s2 = p["coordination"], p["disorder"]
    edge = _EDGE + 1.5 * (q - 0.5)
    spectra = 0.5 + np.arctan((E - edge[:, None]) / (0.8 + 40 * s2)[:, None]) / np.pi
    ones = np.ones_like(q)
    spectra += _gaussian(E, edge - t, 0.6 * ones, 0.1 + 0.8 * (1 - q))
    spectra += _gaussian(E, edge + 2 + 0.3 * (c - 6), 1 + 0.15 * (c - 4), 0.6 + 0.8 * q)
    spectra += _gaussian(
        E,
        edge + 7 + (180 - p["bond_angle"]) / 30,
        1.5 + 100 * s2,
        0.2 + 0.6 * (1 + np.cos(theta)),
    )
    spectra += _gaussian(E, edge + _NATOLI / d**2, 2 + 150 * s2, 0.5 * (1 - 40 * s2))
    return spectra


def _measure(
    clean, E, rng, *, max_shift, broadening, background, max_background, counts
):
    """Shift, broaden, add a background and count: returns spectra, nuisances."""
    n = clean.shape[0]
    shifts = rng.uniform(-max_shift, max_shift, n)
    sigmas = rng.uniform(broadening[0], broadening[1], n)
    X = shift_spectra(clean, shifts, energy=E)
    X = broaden_spectra(X, sigmas, energy=E)
    start = end = np.zeros(n)
    if background is not None and max_background > 0:
        start = rng.uniform(0.0, max_background, n)
        if background == "linear":
            end = rng.uniform(0.0, max_background, n)
        else:
            start = np.maximum(start, _MIN_BACKGROUND * max_background)
            end = start * rng.uniform(*_BACKGROUND_FALL, n)
        X = add_background(X, start, end, energy=E, kind=background)
    X = add_poisson_noise(X, counts=counts, random_state=rng)
    nuisance = Bunch(shift=shifts, broadening=sigmas, background=np.c_[start, end])
    return X, nuisance


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_channels": [Interval(Integral, 2, None, closed="left")],
        "measured": ["boolean"],
        "max_shift": [Interval(Real, 0, None, closed="left")],
        "broadening": ["array-like"],
        "background": [StrOptions({"linear", "power_law"}), None],
        "max_background": [Interval(Real, 0, None, closed="left")],
        "counts": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_property_spectra(
    n_samples=1000,
    *,
    n_channels=200,
    measured=False,
    max_shift=1.5,
    broadening=(0.2, 0.8),
    background="power_law",
    max_background=0.1,
    counts=500.0,
    random_state=None,
):
    """Core-loss spectra of six structural properties, clean or measured.

    Each spectrum (an O K-edge-like ELNES or XANES, 522 to 572 eV) is an
    arctangent edge of unit step plus four Gaussian lines, and each of six
    properties, drawn uniformly and independently, moves some of them:

    ===================  =================  ====================================
    property             range              what it moves
    ===================  =================  ====================================
    bond_length          1.85 – 2.25 Å      second resonance: position
                                            :math:`E_{edge} + 60 / d^2`
                                            (Natoli's rule)
    bond_angle           120 – 180°         first resonance: position
                                            :math:`E_{edge} + 7 + (180 -
                                            \\theta) / 30`, height
                                            :math:`0.2 + 0.6 (1 + \\cos\\theta)`
    ionicity             0.2 – 0.9          edge position :math:`532 + 1.5
                                            (q - 0.5)`; pre-edge height
                                            :math:`0.1 + 0.8 (1 - q)`; white
                                            line height :math:`0.6 + 0.8 q`
    transition_energy    1 – 4 eV           pre-edge line: position
                                            :math:`E_{edge} - t`
    coordination         4 – 8              white line: position
                                            :math:`E_{edge} + 2 + 0.3 (c - 6)`,
                                            width :math:`1 + 0.15 (c - 4)`
    disorder             0.002 – 0.012 Å²   edge width :math:`0.8 + 40
                                            \\sigma^2`; resonance widths
                                            :math:`1.5 + 100 \\sigma^2` and
                                            :math:`2 + 150 \\sigma^2`; second
                                            resonance height :math:`0.5 (1 -
                                            40 \\sigma^2)`
    ===================  =================  ====================================

    Widths are standard deviations in eV; the pre-edge line has width 0.6.
    The same rules are in ``FEATURE_RULES`` of the returned Bunch.  Only the
    edge position depends on a property through an absolute energy; every
    other property is written into distances, widths and heights, which an
    energy calibration offset leaves unchanged.

    With ``measured=True`` each spectrum is then perturbed as a measurement
    would perturb it, in this order: shifted by :math:`U(-m, m)`
    (``max_shift``), broadened by a Gaussian of standard deviation drawn from
    ``broadening``, given a smooth background and resampled with Poisson
    noise at ``counts`` counts per unit of intensity (unit edge step).

    Parameters
    ----------
    n_samples : int, default=1000
        Number of spectra.
    n_channels : int, default=200
        Number of channels, evenly spread over 522 to 572 eV.
    measured : bool, default=False
        Apply the measurement perturbations below; False returns the clean
        (computed) spectra.
    max_shift : float, default=1.5
        Largest energy calibration offset, eV.
    broadening : (float, float), default=(0.2, 0.8)
        Range of the standard deviation of the instrumental Gaussian, eV.
    background : {"linear", "power_law"} or None, default="power_law"
        Shape of the residual background: a line whose end values are drawn
        from :math:`U(0, b)`, or a power law falling from :math:`U(0, b)` to a
        fraction :math:`U(0.2, 1)` of it; None adds none.
    max_background : float, default=0.1
        Largest background :math:`b`, as a fraction of each spectrum's
        largest value.
    counts : float, default=500.0
        Counts per unit of intensity of the Poisson noise.
    random_state : int, RandomState instance or None, default=None
        Seed of the properties and of the perturbations.

    Returns
    -------
    data : Bunch
        ``data`` (n_samples, n_channels): the spectra, measured if asked;
        ``target`` (n_samples, 6): the properties, columns in the order of
        ``target_names``; ``clean``: the spectra before the measurement
        perturbations; ``energy``; ``feature_rules`` (feature -> rule);
        ``property_ranges``; with ``measured=True``, ``nuisance``: a Bunch of
        the ``shift``, ``broadening`` and ``background`` (start and end
        values) drawn for every spectrum.

    See Also
    --------
    skspectra.preprocessing.augment_spectra : The same perturbations, drawn
        for training.

    References
    ----------
    .. [1] S. Kiyohara, M. Tsubaki, K. Liao and T. Mizoguchi, "Quantitative
       estimation of properties from core-loss spectrum via neural network",
       J. Phys.: Mater. 2, 024003 (2019), doi:10.1088/2515-7639/ab0b68.
    .. [2] J. Stöhr, "NEXAFS Spectroscopy", Springer (1992), chapter 7 (the
       bond-length dependence of σ* resonances).
       :doi:`10.1007/978-3-662-02853-7`

    Examples
    --------
    >>> from skspectra.datasets import make_property_spectra
    >>> data = make_property_spectra(100, measured=True, random_state=0)
    >>> data.data.shape, data.target.shape
    ((100, 200), (100, 6))
    >>> data.target_names[0], data.feature_rules["pre-edge line"][:23]
    ('bond_length', 'at E_edge - transition_')
    """
    broadening = np.asarray(broadening, dtype=np.float64)
    if (
        broadening.shape != (2,)
        or not np.all(np.isfinite(broadening))
        or broadening[0] < 0
        or broadening[0] > broadening[1]
    ):
        raise ValueError(
            "broadening must be a (low, high) pair with 0 <= low <= high; got "
            f"{broadening.tolist()!r}."
        )
    rng = check_random_state(random_state)
    props = {
        name: rng.uniform(*_PROPERTY_RANGES[name], n_samples) for name in PROPERTY_NAMES
    }
    E = np.linspace(*_ENERGY_RANGE, n_channels)
    clean = _clean_spectra(E, props)
    out = Bunch(
        data=clean,
        target=np.column_stack([props[name] for name in PROPERTY_NAMES]),
        target_names=list(PROPERTY_NAMES),
        clean=clean,
        energy=E,
        feature_rules=dict(FEATURE_RULES),
        property_ranges=dict(_PROPERTY_RANGES),
    )
    if measured:
        out.data, out.nuisance = _measure(
            clean,
            E,
            rng,
            max_shift=max_shift,
            broadening=broadening,
            background=background,
            max_background=max_background,
            counts=counts,
        )
    return out
