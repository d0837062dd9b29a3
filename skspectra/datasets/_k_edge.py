"""Measured K-edge XANES of 3d metals, normalised, on one grid about the edge."""

import re

import numpy as np
from sklearn.utils import Bunch

# tabulated K-edge energies of the metal elements (eV); the chemical shift
# with the oxidation state moves a compound's edge by a few eV from these
K_EDGE_ENERGIES = {
    "V": 5465.0,
    "Cr": 5989.0,
    "Mn": 6539.0,
    "Fe": 7112.0,
    "Co": 7709.0,
    "Ni": 8333.0,
    "Cu": 8979.0,
}

# where E0 is searched, relative to the tabulated edge (eV): metals sit at
# it up to a calibration offset of a few eV, and the chemical shift of the
# highest oxidation states reaches some 15-20 eV
_E0_WINDOW = (-5.0, 25.0)
# slack for grid ends built as sums of steps (eV), so that the end is kept
_GRID_TOL = 1e-9
# the note column holds the glasses' signed dNNO as "dNNO (...) = value; ..."
_DNNO_NOTE = re.compile(r"^dNNO\b[^=]*=\s*([-+]?[0-9.]+)")
_TARGETS = ("oxidation_state", "dNNO")


def _relative_grid(energy_range, step, name):
    try:
        low, high = (float(v) for v in energy_range)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a pair (low, high) of energies; got {energy_range!r}."
        ) from None
    if not low < high:
        raise ValueError(f"{name} must have low < high; got {energy_range!r}.")
    return np.arange(low, high + _GRID_TOL, step)


def _check_elements(element):
    if element is None:
        return list(K_EDGE_ENERGIES)
    elements = [element] if isinstance(element, str) else list(element)
    unknown = sorted(set(elements) - set(K_EDGE_ENERGIES))
    if unknown:
        raise ValueError(
            f"no tabulated K edge for element(s) {unknown}; known: "
            f"{sorted(K_EDGE_ENERGIES)}."
        )
    return elements


def _target_value(target, labels, i):
    if target == "oxidation_state":
        return float(labels["nominal_oxidation_state"][i])
    match = _DNNO_NOTE.match(str(labels["note"][i]))
    return float(match.group(1)) if match else np.nan


def _normalised(energy, mu, e_k, rel_out, rel_norm):
    """One spectrum edge-step normalised and resampled onto ``e_k + rel_out``.

    Returns the spectrum, or a string saying why it is left out.
    """
    from skspectra.preprocessing import normalize_onto_grid

    needed = rel_out if rel_norm is None else rel_norm
    if energy[0] > e_k + needed[0] or energy[-1] < e_k + needed[-1]:
        return "scan does not cover the grid"
    try:
        return normalize_onto_grid(
            energy,
            mu,
            e_k + rel_out,
            normalization_grid=None if rel_norm is None else e_k + rel_norm,
            e0_range=(e_k + _E0_WINDOW[0], e_k + _E0_WINDOW[1]),
        )
    except ValueError:
        return "no positive edge step near the tabulated edge"


def _collect(data, target, edges, rel_out, rel_norm):
    """Normalise the candidate spectra of ``data``.

    Returns the indices kept, their spectra and targets, and ``"name
    (reason)"`` for each candidate left out.
    """
    labels = data.labels
    keep, X, values, skipped = [], [], [], []
    for i, (energy, mu) in enumerate(zip(data.energies, data.spectra, strict=True)):
        value = _target_value(target, labels, i)
        if labels["edge"][i] not in edges or not np.isfinite(value):
            continue
        if "calibration" in str(labels["note"][i]):
            skipped.append(
                f"{data.names[i]} (energy calibration fault noted in labels)"
            )
            continue
        e_k = K_EDGE_ENERGIES[labels["element"][i]]
        spectrum = _normalised(energy, mu, e_k, rel_out, rel_norm)
        if isinstance(spectrum, str):
            skipped.append(f"{data.names[i]} ({spectrum})")
            continue
        keep.append(i)
        X.append(spectrum)
        values.append(value)
    return keep, X, values, skipped


def load_k_edge_references(
    data_dir=None,
    *,
    element=None,
    target="oxidation_state",
    energy_range=(-15.0, 45.0),
    step=0.5,
    normalization_range=None,
    herfd=False,
):
    """Load measured 3d-metal K-edge XANES, normalised, on one grid per edge.

    The spectra of :func:`load_xanes_references` whose edge is the K edge of
    V, Cr, Mn, Fe, Co, Ni or Cu and whose ``target`` is known are edge-step
    normalised with :class:`skspectra.preprocessing.XANESNormalizer` (its
    :math:`E_0` searched from 5 eV below to 25 eV above the element's
    tabulated K-edge energy :math:`E_K`) and resampled with
    :func:`skspectra.preprocessing.resample_spectra` (PCHIP) onto
    :math:`E_K` + ``energy``.  The grid is absolute, so the chemical shift
    of the edge with the oxidation state is kept, and relative to the
    tabulated edge, so the spectra of different elements line up.

    Spectra are left out, and listed in ``skipped`` with the reason, when
    ``labels.csv`` notes an energy calibration fault, when the scan does not
    cover the grid, or when no positive edge step is found near
    :math:`E_K`.

    Parameters
    ----------
    data_dir : path-like, default=None
        The folder with ``labels.csv`` (or with a ``xanes`` subfolder holding
        it); None looks for the shared data folder with
        :func:`find_data_dir`.
    element : str or list of str, default=None
        Absorbing elements to keep (``"Mn"``); None keeps all seven.
    target : {"oxidation_state", "dNNO"}, default="oxidation_state"
        ``"oxidation_state"``: the nominal oxidation state of the labels;
        ``"dNNO"``: the oxygen fugacity relative to the Ni-NiO buffer
        (log units) that the ``note`` column gives for the V K-edge glasses.
        Spectra without this target are left out silently.
    energy_range : tuple of (float, float), default=(-15.0, 45.0)
        First and last energy of the grid, in eV relative to :math:`E_K`.
    step : float, default=0.5
        Spacing of the grid (eV).
    normalization_range : tuple of (float, float), default=None
        Normalise on this window (eV relative to :math:`E_K`, resampled with
        the same ``step``) instead of on the whole scan; the normaliser's
        pre- and post-edge fits then see only this window.
    herfd : bool, default=False
        Also keep high-energy-resolution fluorescence (HERFD) K-edge scans.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``X``: ndarray of shape (n_spectra, n_channels), the normalised
        spectra; ``energy``: ndarray of shape (n_channels,), the grid in eV
        relative to the tabulated edge; ``edge_energy``: :math:`E_K` of each
        spectrum, so that ``edge_energy[i] + energy`` is its absolute grid;
        ``target``: the chosen target; ``element`` and ``compound`` (lower
        case) of each spectrum; ``groups``: ``"element:compound"``, for
        cross-validation that keeps repeated scans of a compound in one
        fold; ``names``: the identifiers of :func:`load_xanes_references`;
        ``skipped``: ``"name (reason)"`` for every spectrum left out;
        ``DESCR``.

    Raises
    ------
    FileNotFoundError
        If no folder with ``labels.csv`` is found.
    ValueError
        If ``element`` names an element without a tabulated K edge,
        ``target`` is unknown, a range is not a pair with low < high,
        ``energy_range`` reaches outside ``normalization_range``, ``step``
        is not positive, or no spectrum is left.

    See Also
    --------
    load_xanes_references : The raw spectra and their labels.
    skspectra.preprocessing.XANESNormalizer : Edge-step normalisation.

    Examples
    --------
    The data folder is not part of the package, so these lines are not run
    as a test:

    >>> from skspectra.datasets import load_k_edge_references
    >>> mn = load_k_edge_references(element="Mn")  # doctest: +SKIP
    >>> mn.X.shape, mn.energy[[0, -1]]  # doctest: +SKIP
    ((22, 121), array([-15.,  45.]))
    """
    from skspectra.datasets._xanes_loader import load_xanes_references

    if target not in _TARGETS:
        raise ValueError(f"target must be one of {_TARGETS}; got {target!r}.")
    if not float(step) > 0:
        raise ValueError(f"step must be positive; got {step!r}.")
    step = float(step)
    rel_out = _relative_grid(energy_range, step, "energy_range")
    rel_norm = None
    if normalization_range is not None:
        rel_norm = _relative_grid(normalization_range, step, "normalization_range")
        if rel_out[0] < rel_norm[0] or rel_out[-1] > rel_norm[-1]:
            raise ValueError(
                f"energy_range {energy_range!r} must lie within "
                f"normalization_range {normalization_range!r}."
            )
    data = load_xanes_references(data_dir, element=_check_elements(element))
    edges = {"K", "K (HERFD)"} if herfd else {"K"}
    keep, X, values, skipped = _collect(data, target, edges, rel_out, rel_norm)
    if not keep:
        raise ValueError(
            f"no K-edge spectrum with a known {target} for element={element!r}"
            + (f"; left out: {', '.join(skipped)}" if skipped else "")
            + "."
        )
    element_of = np.array([str(data.labels["element"][i]) for i in keep])
    compound = np.array([str(data.labels["compound"][i]).lower() for i in keep])
    return Bunch(
        X=np.asarray(X),
        energy=rel_out,
        edge_energy=np.array([K_EDGE_ENERGIES[e] for e in element_of]),
        target=np.asarray(values, dtype=np.float64),
        element=element_of,
        compound=compound,
        groups=np.char.add(np.char.add(element_of, ":"), compound),
        names=[data.names[i] for i in keep],
        skipped=skipped,
        DESCR=(
            f"{len(keep)} measured K-edge XANES spectra "
            f"({', '.join(sorted(set(element_of)))}), edge-step normalised, "
            f"from {rel_out[0]:g} to {rel_out[-1]:g} eV about the tabulated "
            f"K edge in steps of {step:g} eV; target: {target}."
        ),
    )
