"""A physical basis of EDS spectra: characteristic lines and a smooth continuum.

An EDS spectrum is a sum of characteristic X-ray lines, each broadened to the
resolution of the detector, on a bremsstrahlung continuum (Williams & Carter,
*Transmission Electron Microscopy*, 2nd ed., Springer 2009, ch. 32-35).
:func:`eds_basis` builds non-negative spectra ``G`` such that every phase's
spectrum is about ``a @ G`` with ``a >= 0``:

* one row per element and shell (K, L, M) whose lines lie on the energy axis:
  the lines of that shell, Gaussians of the detector's FWHM at their energies
  (:func:`~skspectra.peaks.eds_resolution`), weighted by their relative
  intensities.  Energies, relative intensities within an initial level and
  fluorescence yields come from ``xraydb`` (Elam, Ravel & Sieber, Radiat.
  Phys. Chem. 63, 121 (2002), doi:10.1016/S0969-806X(01)00227-4); the levels of
  one shell are ionised in proportion to their occupancy.  The ratios of the
  shells of one element (which need ionisation cross-sections and absorption)
  are left free: each shell is a row of its own.
* ``n_continuum`` rows of the continuum: Kramers' law ``(E0 - E) / E``
  (Kramers, Phil. Mag. 46, 836 (1923)) times the transmission
  ``exp(-(E_c / E)^3)`` of an absorber whose attenuation falls as ``E^-3``
  (the Bragg-Pierce law between edges), for cut-off energies ``E_c`` spread
  between 0.25 and 1.5 keV: non-negative combinations of them follow the
  low-energy fall of the continuum through the detector window and the
  specimen.

Used as ``spectral_basis`` of :class:`~skspectra.decomposition.PoissonNMF`
or :class:`~skspectra.decomposition.SparseNMF`, the component spectra are
held in the cone of these rows, which is the physics that espm's ``G``
matrix puts into its NMF (Teurtrie et al., Ultramicroscopy
249, 113719 (2023), doi:10.1016/j.ultramic.2023.113719).
"""

import numpy as np
from scipy.special import ndtr

from skspectra.peaks._lines import _check_units, _elements, _xraydb, eds_resolution
from skspectra.utils.validation import check_energy

__all__ = ["eds_basis"]

# a fast electron ionises the levels of one shell about in proportion to
# their occupancy, the statistical weight 2j + 1 (Coster-Kronig transfers
# between them are left out)
_OCCUPANCY = {
    "K": 2,
    "L1": 2,
    "L2": 2,
    "L3": 4,
    "M1": 2,
    "M2": 2,
    "M3": 4,
    "M4": 4,
    "M5": 6,
}
# the shells whose lines an EDS detector sees (N lines are below 0.2 keV or
# far weaker than the M lines of the same element)
_SHELLS = ("K", "L", "M")
# the cut-off energies of the continuum's absorption factor span this range
# (keV): from a thin window's cut-off to the strong absorption of a thick
# light-element specimen
_CUTOFF_KEV = (0.25, 1.5)
# a line farther than this many FWHM outside the axis adds nothing to it
_LINE_REACH_FWHM = 3.0
# the standard deviation of a Gaussian per unit of FWHM, 1 / (2 sqrt(2 ln 2))
_SIGMA_PER_FWHM = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))


def _channel_edges(energy):
    """Edges of the channels: midway between centres, the outer ones mirrored."""
    mid = 0.5 * (energy[1:] + energy[:-1])
    first = energy[0] - (mid[0] - energy[0])
    last = energy[-1] + (energy[-1] - mid[-1])
    return np.concatenate([[first], mid, [last]])


def _shell_lines(element, beam_kev, lo_kev, hi_kev, fwhm):
    """{shell: [(energy keV, weight), ...]} of the lines excited by the beam
    near the axis ``[lo_kev, hi_kev]``, each shell with a line on it."""
    xraydb = _xraydb()
    edges = xraydb.xray_edges(element)
    shells = {}
    for line in xraydb.xray_lines(element).values():
        level = line.initial_level.split(",")[0]
        if level[0] not in _SHELLS or level not in edges or line.energy <= 0:
            continue
        edge = edges[level]
        e = line.energy / 1000.0
        reach = _LINE_REACH_FWHM * float(fwhm(e))
        if (
            edge.energy / 1000.0 >= beam_kev
            or not lo_kev - reach <= e <= hi_kev + reach
        ):
            continue
        weight = line.intensity * edge.fyield * _OCCUPANCY[level]
        if weight > 0:
            shells.setdefault(level[0], []).append((e, weight))
    return {
        shell: lines
        for shell, lines in shells.items()
        if any(lo_kev <= e <= hi_kev for e, _ in lines)
    }


def _continuum(energy_kev, widths, beam_kev, n_continuum):
    """Kramers' continuum times ``n_continuum`` absorption factors."""
    if n_continuum == 0:
        return np.empty((0, energy_kev.size)), []
    lo, hi = _CUTOFF_KEV
    cutoffs = (
        np.array([np.sqrt(lo * hi)])
        if n_continuum == 1
        else np.geomspace(lo, hi, n_continuum)
    )
    e = np.where(energy_kev > 0, energy_kev, np.inf)
    kramers = np.clip(beam_kev - energy_kev, 0.0, None) / e
    rows = kramers * np.exp(-((cutoffs[:, None] / e) ** 3)) * widths
    labels = [f"continuum {c:.2g} keV" for c in cutoffs]
    return rows, labels


def eds_basis(
    energy,
    elements,
    *,
    units="keV",
    beam_energy=200.0,
    resolution=None,
    n_continuum=3,
):
    """A non-negative basis of EDS spectra: element lines and a continuum.

    Each row is a spectrum of unit sum on ``energy``: first one row per
    element and shell (K, L, M) with a line on the axis, its lines broadened
    to the detector resolution with the relative intensities of ``xraydb``;
    then ``n_continuum`` smooth continuum shapes (Kramers' law times a
    low-energy absorption factor).  A phase's spectrum is about a
    non-negative combination of the rows, so ``spectral_basis=basis`` in
    :class:`~skspectra.decomposition.PoissonNMF` or
    :class:`~skspectra.decomposition.SparseNMF` learns only those few
    coefficients per component instead of a value per channel.

    Parameters
    ----------
    energy : array-like of shape (n_channels,)
        Increasing channel energies, in ``units``.
    elements : sequence of str
        Element symbols (lithium to uranium), such as an EDS file's element
        list.
    units : {"keV", "eV"}, default="keV"
        Unit of ``energy``, ``beam_energy`` and ``resolution``.
    beam_energy : float, default=200.0
        Energy of the incident electrons, in keV (200 keV for a TEM; 5-30 keV
        for an SEM) whatever ``units`` is: shells whose edge lies above it are
        not excited, and the continuum ends there.
    resolution : float, default=None
        FWHM of a line, in ``units``; None takes the resolution of a silicon
        drift detector, 130 eV at Mn Ka growing with energy
        (:func:`eds_resolution`).
    n_continuum : int, default=3
        Continuum rows (0 for none), with absorption cut-offs spread
        geometrically between 0.25 and 1.5 keV.

    Returns
    -------
    basis : ndarray of shape (n_basis, n_channels)
        Non-negative rows of unit sum.
    labels : list of str
        One per row: ``"Fe K"``, ``"Fe L"``, ..., ``"continuum 0.61 keV"``
        (its cut-off energy).

    Raises
    ------
    ValueError
        For an unknown element symbol, an element with no line on the axis,
        or a bad axis or parameter.
    ImportError
        If ``xraydb`` is not installed (the ``lines`` extra).

    See Also
    --------
    xray_lines : The principal lines, for labelling peaks.

    References
    ----------
    .. [1] W. T. Elam, B. D. Ravel and J. R. Sieber, "A new atomic database
       for X-ray spectroscopic calculations", Radiat. Phys. Chem. 63 (2002)
       121-128, :doi:`10.1016/S0969-806X(01)00227-4`.
    .. [2] H. A. Kramers, "On the theory of X-ray absorption and of the
       continuous X-ray spectrum", Phil. Mag. 46 (1923) 836-871,
       :doi:`10.1080/14786442308565244`.
    .. [3] A. Teurtrie, N. Perraudin, T. Holvoet, H. Chen, D. T. L. Alexander,
       G. Obozinski and C. Hebert, "espm: A Python library for the simulation
       of STEM-EDXS datasets", Ultramicroscopy 249 (2023) 113719,
       :doi:`10.1016/j.ultramic.2023.113719`.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.peaks import eds_basis
    >>> energy = np.arange(0.2, 10.0, 0.01)
    >>> basis, labels = eds_basis(energy, ["Fe", "O"], n_continuum=2)
    >>> labels
    ['Fe K', 'Fe L', 'O K', 'continuum 0.25 keV', 'continuum 1.5 keV']
    >>> basis.shape, bool(np.allclose(basis.sum(axis=1), 1.0))
    ((5, 980), True)
    >>> round(float(energy[np.argmax(basis[0])]), 2)  # Fe Ka
    6.4
    """
    scale = _check_units(units) / 1000.0  # keV per unit of energy
    if np.ndim(energy) != 1 or np.size(energy) < 2:
        raise ValueError(
            f"energy must be a 1-D axis of at least two channels; got shape "
            f"{np.shape(energy)}"
        )
    energy = check_energy(energy, np.size(energy))
    if isinstance(elements, str):
        elements = [elements]
    if elements is None or len(elements) == 0:
        raise ValueError("elements must name at least one element")
    elements = _elements(elements)
    if not (np.isscalar(beam_energy) and beam_energy > 0):
        raise ValueError(f"beam_energy must be a positive number; got {beam_energy!r}")
    if not (isinstance(n_continuum, (int, np.integer)) and n_continuum >= 0):
        raise ValueError(
            f"n_continuum must be a non-negative integer; got {n_continuum!r}"
        )
    e_kev = energy * scale
    if resolution is None:
        fwhm = lambda e: eds_resolution(e, units="keV")  # noqa: E731
    elif np.isscalar(resolution) and resolution > 0:
        fwhm = lambda e: resolution * scale  # noqa: E731
    else:
        raise ValueError(f"resolution must be a positive number; got {resolution!r}")
    edges = _channel_edges(e_kev)
    rows, labels, missing = [], [], []
    for el in dict.fromkeys(elements):
        shells = _shell_lines(el, beam_energy, e_kev[0], e_kev[-1], fwhm)
        if not shells:
            missing.append(el)
        for shell in _SHELLS:
            if shell not in shells:
                continue
            row = np.zeros(e_kev.size)
            for e, weight in shells[shell]:
                sigma = float(fwhm(e)) * _SIGMA_PER_FWHM
                row += weight * np.diff(ndtr((edges - e) / sigma))
            rows.append(row)
            labels.append(f"{el} {shell}")
    if missing:
        raise ValueError(
            f"elements: {', '.join(map(repr, missing))} have no X-ray line excited "
            f"by a {beam_energy:g} keV beam between {energy[0]:g} and "
            f"{energy[-1]:g} {units}"
        )
    cont, cont_labels = _continuum(e_kev, np.diff(edges), beam_energy, n_continuum)
    basis = np.vstack([np.asarray(rows).reshape(-1, e_kev.size), cont])
    sums = basis.sum(axis=1)
    if np.any(sums <= 0):
        raise ValueError(
            f"the continuum is zero on the axis {energy[0]:g}-{energy[-1]:g} {units} "
            f"(above the beam energy {beam_energy:g} keV); use n_continuum=0"
        )
    return basis / sums[:, None], labels + cont_labels
