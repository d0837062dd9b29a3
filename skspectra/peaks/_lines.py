"""Peaks of a spectrum named by the X-ray lines or absorption edges near them.

Two steps, each a public function:

1. :func:`find_line_peaks` finds the peaks of one spectrum (a measured
   spectrum or a component of a decomposition): local maxima that stand out
   by their prominence, at most one per resolution element, so that the
   neighbouring channels of one line count once.
2. :func:`identify_lines` names each peak by the X-ray emission lines (EDS)
   or the ionisation edges (EELS) of the elements that lie within the
   resolution of it.

The energies of lines and edges come from ``xraydb`` (Elam, Ravel & Sieber,
Radiat. Phys. Chem. 63, 121 (2002), doi:10.1016/S0969-806X(01)00227-4, as
packaged by the xraylarch project), installed with the ``lines`` extra
(``pip install "skspectra[lines]"``).
"""

from collections import namedtuple
from functools import cache

import numpy as np
from scipy.signal import find_peaks

from skspectra.utils.validation import check_energy

LinePeak = namedtuple("LinePeak", ["energy", "height", "prominence", "lines"])
LinePeak.__doc__ = """One peak of a spectrum and the lines or edges near it.

Fields: ``energy`` (the peak position, interpolated between channels, in the
units of the energy axis), ``height`` (the spectrum there), ``prominence``
(how far it stands above its surroundings, as
:func:`scipy.signal.find_peaks` measures it) and ``lines`` (a tuple of
:class:`XrayLine`, nearest first; empty when no line or edge is near).
"""

XrayLine = namedtuple("XrayLine", ["element", "line", "energy"])
XrayLine.__doc__ = """An X-ray emission line or an absorption edge of an element.

Fields: ``element`` (symbol), ``line`` (Siegbahn name of an emission line
such as ``"Ka"``, ``"Lb1"``, ``"Ma"``, or an edge: ``"K"``, ``"L2,3"``,
``"M4,5"``) and ``energy`` (in the units asked for).  ``str()`` of it reads
``"Fe Ka"``.
"""
XrayLine.__str__ = lambda self: f"{self.element} {self.line}"

# the emission lines an EDS detector resolves as peaks of their own: the
# principal lines of each shell (the others are weaker than the noise of a
# spectrum image by one to three orders of magnitude)
EMISSION_LINES = ("Ka1", "Ka2", "Kb1", "Kb3", "La1", "La2", "Lb1", "Lb2,15", "Lg1")
EMISSION_LINES += ("Ma", "Mb")
# the edges that EELS sees as onsets with a peak above them, grouped as one
# name where the spin-orbit partners lie within a few eV (L2,3 and M4,5)
EDGE_GROUPS = {"K": ("K",), "L2,3": ("L3", "L2"), "M4,5": ("M5", "M4")}
# the elements considered: lithium (the lightest with an X-ray line) to
# uranium (the heaviest of natural specimens)
FIRST_Z, LAST_Z = 3, 92
# EDS resolution (FWHM) at Mn Ka of a silicon drift detector, in eV, and the
# energy of Mn Ka that it refers to
MN_KA_FWHM_EV = 130.0
MN_KA_EV = 5898.7
# Fano factor times the energy per electron-hole pair in silicon (0.115 x
# 3.8 eV) times 8 ln 2: the slope of FWHM^2 against energy (Fiori & Newbury,
# Scanning Electron Microsc. 1, 401 (1978))
FWHM2_SLOPE_EV = 2.5
# a white line or near-edge peak of EELS lies up to this far above its edge
# onset (the Ti L3 maximum is 7 eV above the L3 edge in SrTiO3)
EDGE_PEAK_WINDOW_EV = 12.0
# the low-loss region of plasmons and valence-band excitations ends about
# here (eV); a level below it gives no core-loss edge
MIN_EDGE_EV = 50.0
# xraydb's edges of the light elements are free-atom binding energies, up
# to about 11 eV above their onsets in solids (O K: 543.1 eV in the table,
# 532 eV in oxides); a peak this far below an edge still names it
EDGE_BELOW_EV = 12.0
# the resolution of a core-loss EELS spectrum, in eV (a field-emission gun
# with no monochromator); the tolerance below an edge onset
EELS_RESOLUTION_EV = 1.5
# peaks lower than this fraction of the strongest one's prominence are noise
DEFAULT_PROMINENCE = 0.02
# EDS peaks below this energy (keV) are the detector's zero (noise) peak and
# the electronic noise around it
EDS_MIN_ENERGY_KEV = 0.15
# the order of strength of the lines of one shell: alpha, beta, gamma
_GREEK = "abg"
_SCALE = {"eV": 1.0, "keV": 1000.0}


def _xraydb():
    try:
        import xraydb
    except ImportError:
        raise ImportError(
            "naming X-ray lines needs xraydb, which is not installed; "
            'install it with: pip install "skspectra[lines]"'
        ) from None
    return xraydb


def _check_units(units):
    if units not in _SCALE:
        raise ValueError(f"units must be 'eV' or 'keV'; got {units!r}")
    return _SCALE[units]


def eds_resolution(energy, *, units="keV", fwhm_mn_ka=MN_KA_FWHM_EV):
    """Energy resolution (FWHM) of an EDS detector at the given energies.

    The peak width of a semiconductor detector grows with energy as
    ``FWHM(E)^2 = FWHM(Mn Ka)^2 + 2.5 eV (E - E(Mn Ka))`` (Fiori & Newbury,
    1978).

    Parameters
    ----------
    energy : float or array-like
        Energies, in ``units``.
    units : {"keV", "eV"}, default="keV"
        Unit of ``energy`` and of the result.
    fwhm_mn_ka : float, default=130.0
        FWHM at Mn Ka (5.899 keV), in eV.

    Returns
    -------
    fwhm : float or ndarray
        FWHM in ``units``, never below a tenth of ``fwhm_mn_ka``.

    Examples
    --------
    >>> from skspectra.peaks import eds_resolution
    >>> round(float(eds_resolution(5.8987)), 3)
    0.13
    """
    scale = _check_units(units)
    e_ev = np.asarray(energy, dtype=float) * scale
    fwhm2 = fwhm_mn_ka**2 + FWHM2_SLOPE_EV * (e_ev - MN_KA_EV)
    fwhm = np.sqrt(np.maximum(fwhm2, (0.1 * fwhm_mn_ka) ** 2))
    return fwhm / scale


def find_line_peaks(
    spectrum, energy, *, resolution, min_energy=None, prominence=DEFAULT_PROMINENCE
):
    """Find the peaks of one spectrum, one per line.

    Local maxima with a prominence of at least ``prominence`` times the
    largest prominence found, at least one resolution element apart (of two
    maxima closer than that only the higher one is kept, so the channels of
    one line give one peak).  Each position is refined by a parabola through
    the maximum channel and its two neighbours.

    Parameters
    ----------
    spectrum : array-like of shape (n_channels,)
        The intensities.
    energy : array-like of shape (n_channels,)
        Increasing channel energies.
    resolution : float or callable
        The FWHM of a line, in the units of ``energy``, or a function of the
        energy that returns it (such as :func:`eds_resolution`).
    min_energy : float, default=None
        Peaks below this energy are left out (the zero peak of EDS).
    prominence : float, default=0.02
        Relative prominence threshold, in (0, 1].

    Returns
    -------
    peaks : list of LinePeak
        Strongest (most prominent) first, with empty ``lines``.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.peaks import find_line_peaks
    >>> e = np.linspace(0, 10, 1001)
    >>> s = np.exp(-((e - 3) ** 2) / 0.01) + 0.5 * np.exp(-((e - 6) ** 2) / 0.01)
    >>> [round(p.energy, 3) for p in find_line_peaks(s, e, resolution=0.2)]
    [3.0, 6.0]
    """
    spectrum = np.asarray(spectrum, dtype=float)
    if spectrum.ndim != 1:
        raise ValueError(f"spectrum must be 1-D; got shape {spectrum.shape}")
    energy = check_energy(energy, spectrum.size)
    if not 0 < prominence <= 1:
        raise ValueError(f"prominence must be in (0, 1]; got {prominence}")
    step = float(np.median(np.diff(energy))) if energy.size > 1 else 1.0
    if step <= 0:
        raise ValueError("energy must increase")
    width = resolution if callable(resolution) else (lambda e: resolution)
    # the channels from min_energy on; the first of them is never a peak, so
    # the falling tail of a zero peak cut there gives none
    start = int(np.searchsorted(energy, min_energy)) if min_energy is not None else 0
    found, props = find_peaks(spectrum[start:], prominence=0)
    if found.size == 0:
        return []
    found = found + start
    prom = props["prominences"]
    found, prom = (
        found[prom >= prominence * prom.max()],
        prom[prom >= prominence * prom.max()],
    )
    order = np.argsort(prom)[::-1]
    kept = []
    for i in order:
        e = energy[found[i]]
        if all(abs(e - energy[found[j]]) >= float(width(e)) for j in kept):
            kept.append(i)
    return [
        LinePeak(
            _refine(spectrum, energy, found[i]),
            float(spectrum[found[i]]),
            float(prom[i]),
            (),
        )
        for i in kept
    ]


def _refine(spectrum, energy, i):
    """Position of the vertex of the parabola through channels i-1, i, i+1."""
    if i == 0 or i == spectrum.size - 1:
        return float(energy[i])
    left, mid, right = spectrum[i - 1 : i + 2]
    curvature = left - 2 * mid + right
    if curvature >= 0:
        return float(energy[i])
    shift = 0.5 * (left - right) / curvature
    return float(energy[i] + shift * (energy[i + 1] - energy[i - 1]) / 2)


@cache
def _emission_lines_ev(element):
    """Principal emission lines of one element, in eV, a family merged where
    its members lie within the detector resolution (Ka1 + Ka2 -> Ka)."""
    table = _xraydb().xray_lines(element)
    families = {}
    for name in EMISSION_LINES:
        if name in table and table[name].energy > 0:
            families.setdefault(name[:2], []).append((name, table[name]))
    out = []
    for family, members in families.items():
        energies = np.array([m.energy for _, m in members])
        weights = np.array([max(m.intensity, 1e-12) for _, m in members])
        if np.ptp(energies) < eds_resolution(energies.mean(), units="eV"):
            mean = float(np.average(energies, weights=weights))
            label = family if len(members) > 1 else members[0][0]
            out.append(XrayLine(element, label, mean))
        else:
            out.extend(XrayLine(element, name, float(m.energy)) for name, m in members)
    return tuple(out)


@cache
def _edges_ev(element):
    """K, L2,3 and M4,5 edges of one element: (name, onset, last edge) in eV."""
    table = _xraydb().xray_edges(element)
    out = []
    for group, members in EDGE_GROUPS.items():
        energies = [table[m].energy for m in members if m in table]
        energies = [e for e in energies if e >= MIN_EDGE_EV]
        if energies:
            out.append((XrayLine(element, group, float(min(energies))), max(energies)))
    return tuple(out)


def _elements(elements):
    if elements is None:
        db = _xraydb()
        return tuple(db.atomic_symbol(z) for z in range(FIRST_Z, LAST_Z + 1))
    symbols = tuple(str(el).strip() for el in np.atleast_1d(elements))
    db = _xraydb()
    known = {db.atomic_symbol(z) for z in range(FIRST_Z, LAST_Z + 1)}
    unknown = [el for el in symbols if el not in known]
    if unknown:
        raise ValueError(
            f"elements: {', '.join(map(repr, unknown))} not among the element "
            "symbols of lithium to uranium"
        )
    return symbols


def xray_lines(elements=None, *, kind="emission", units="keV"):
    """The X-ray emission lines or absorption edges of elements, from xraydb.

    Parameters
    ----------
    elements : sequence of str, default=None
        Element symbols; ``None`` takes every element from lithium to
        uranium.
    kind : {"emission", "edge"}, default="emission"
        ``"emission"``: the principal K, L and M lines (Ka, Kb, La, Lb1,
        Lb2,15, Lg1, Ma, Mb), the members of a family that an EDS detector
        does not resolve merged into one at their intensity-weighted mean
        energy.  ``"edge"``: the K, L2,3 and M4,5 ionisation edges, at the
        onset (the L3 or M5 edge).
    units : {"keV", "eV"}, default="keV"
        Unit of the energies returned.

    Returns
    -------
    lines : list of XrayLine
        Sorted by energy.

    Examples
    --------
    >>> from skspectra.peaks import xray_lines
    >>> [f"{line} {line.energy:.3f}" for line in xray_lines(["Si"])]
    ['Si Ka 1.740', 'Si Kb 1.836']
    >>> [str(line) for line in xray_lines(["Ti", "O"], kind="edge", units="eV")]
    ['Ti L2,3', 'O K', 'Ti K']
    """
    lines = _table(_elements(elements), kind, units)
    return sorted((line for line, _, _ in lines), key=lambda line: line.energy)


def _table(elements, kind, units):
    """(line in ``units``, lowest, highest energy of a matching peak offset)."""
    scale = _check_units(units)
    if kind == "emission":
        return [
            (line._replace(energy=line.energy / scale), 0.0, 0.0)
            for el in elements
            for line in _emission_lines_ev(el)
        ]
    if kind == "edge":
        return [
            (
                line._replace(energy=line.energy / scale),
                -EDGE_BELOW_EV / scale,
                (last - line.energy + EDGE_PEAK_WINDOW_EV) / scale,
            )
            for el in elements
            for line, last in _edges_ev(el)
        ]
    raise ValueError(f"kind must be 'emission' or 'edge'; got {kind!r}")


def identify_lines(
    spectrum,
    energy,
    *,
    units,
    elements=None,
    kind=None,
    resolution=None,
    min_energy=None,
    prominence=DEFAULT_PROMINENCE,
    n_peaks=None,
):
    """Find the peaks of a spectrum and name the X-ray lines or edges at them.

    The peaks are those of :func:`find_line_peaks`.  An emission line
    (EDS) names a peak when it lies within half the resolution (FWHM) of it;
    an edge (EELS) when the peak lies between 12 eV below its tabulated
    onset (the table holds free-atom energies, which lie above the onsets in
    solids for light elements) and 12 eV above its last member (the white
    lines of L2,3 and M4,5 and the near-edge peaks above a K onset).

    Parameters
    ----------
    spectrum : array-like of shape (n_channels,)
        A spectrum or a component spectrum.
    energy : array-like of shape (n_channels,)
        Increasing channel energies, in ``units``.
    units : {"keV", "eV"}
        Unit of ``energy``.
    elements : sequence of str, default=None
        The elements to consider (an EDS file's element list); ``None``
        considers every element, and a peak then lists each element with a
        line near it.
    kind : {"emission", "edge"}, default=None
        X-ray emission lines or ionisation edges; ``None`` takes emission
        lines for a keV axis (EDS) and edges for an eV axis (EELS).
    resolution : float, default=None
        FWHM of a peak in ``units``; ``None`` takes :func:`eds_resolution`
        for emission lines and 1.5 eV for edges.  Never below two channels.
    min_energy : float, default=None
        Peaks below it are left out; ``None`` is 0.15 keV for emission lines
        (the detector's zero peak and noise) and no limit for edges.
    prominence : float, default=0.02
        Relative prominence threshold of :func:`find_line_peaks`.
    n_peaks : int, default=None
        Keep the most prominent ``n_peaks`` peaks (all when None).

    Returns
    -------
    peaks : list of LinePeak
        Most prominent first; ``lines`` holds one line per element, the
        nearest first.

    See Also
    --------
    xray_lines : The lines and edges that are matched.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.peaks import identify_lines
    >>> e = np.arange(0.1, 10, 0.01)
    >>> s = np.exp(-((e - 1.74) ** 2) / 0.003) + 0.5 * np.exp(-((e - 6.4) ** 2) / 0.006)
    >>> [(round(p.energy, 2), [str(x) for x in p.lines])
    ...  for p in identify_lines(s, e, units="keV", elements=["Si", "Fe", "O"])]
    [(1.74, ['Si Ka']), (6.4, ['Fe Ka'])]
    """
    scale = _check_units(units)
    kind = kind or ("emission" if units == "keV" else "edge")
    table = _table(_elements(elements), kind, units)
    energy = check_energy(energy, np.shape(spectrum)[-1])
    step = float(np.median(np.diff(energy))) if energy.size > 1 else 1.0
    if resolution is None:
        base = (
            (lambda e: eds_resolution(e, units=units))
            if kind == "emission"
            else (lambda e: EELS_RESOLUTION_EV / scale)
        )
    else:
        base = lambda e: resolution  # noqa: E731
    width = lambda e: max(float(base(e)), 2 * step)  # noqa: E731
    if min_energy is None and kind == "emission":
        min_energy = EDS_MIN_ENERGY_KEV * 1000.0 / scale
    peaks = find_line_peaks(
        spectrum, energy, resolution=width, min_energy=min_energy, prominence=prominence
    )
    found = np.array([p.energy for p in peaks])
    named = []
    for p in peaks[:n_peaks]:
        lines = _near(p.energy, table, width(p.energy) / 2)
        if elements is None and kind == "emission":
            span = (max(energy[0], min_energy), energy[-1])
            lines = _confirmed(lines, found, span, units, width)
        named.append(p._replace(lines=lines))
    return named


def _confirmed(lines, found, span, units, width):
    """The lines of an element whose stronger lines on the axis are found too.

    The alpha line of a shell is stronger than its other lines, and the
    alpha line of the K (L) shell, where the axis covers it, is stronger than
    those of the L (M) shell; an element named by a weaker line alone is
    left out.  The rest is ordered alpha lines first, then by distance.
    """
    kept = []
    for line in lines:
        shell = line.line[0]
        stronger = [
            other
            for other in _table((line.element,), "emission", units)
            if other[0].line[:2] == shell + "a"
            and other[0].line != line.line
            or (other[0].line[:2] == {"L": "Ka", "M": "La"}.get(shell))
        ]
        if all(
            not span[0] <= other.energy <= span[1]
            or np.any(np.abs(found - other.energy) <= width(other.energy) / 2)
            for other, _, _ in stronger
        ):
            kept.append(line)
    alpha = [line for line in kept if line.line[1] == "a"]
    return tuple(alpha + [line for line in kept if line.line[1] != "a"])


def _near(e, table, tol):
    """The lines of ``table`` that name a peak at ``e``: one per element, its
    strongest (an alpha line before a beta or gamma line of the same shell,
    then the nearest), the elements nearest first."""
    best = {}
    for line, low, high in table:
        if line.energy + low - tol <= e <= line.energy + high + tol:
            key = (_GREEK.find(line.line[1:2]), abs(e - line.energy))
            if line.element not in best or key < best[line.element][0]:
                best[line.element] = (key, line)
    ordered = sorted(best.values(), key=lambda t: t[0][1])
    return tuple(line for _, line in ordered)
