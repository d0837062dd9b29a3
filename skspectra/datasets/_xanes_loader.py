"""Loader for a folder of measured XANES reference spectra with a labels table."""

import csv
import fnmatch
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from skspectra.datasets._base import find_data_dir

_COLUMNS = (
    "file",
    "group",
    "element",
    "edge",
    "compound",
    "nominal_oxidation_state",
    "note",
    "source",
    "kind",
)


def _xanes_folder(data_dir):
    if data_dir is None:
        root = find_data_dir()
        if root is None:
            raise FileNotFoundError(
                "no data folder found: pass data_dir, or set the SKSPECTRA_DATA "
                "environment variable to the folder that holds xanes/labels.csv."
            )
        data_dir = root
    data_dir = Path(data_dir)
    for folder in (data_dir, data_dir / "xanes"):
        if (folder / "labels.csv").is_file():
            return folder
    raise FileNotFoundError(
        f"{data_dir}: no labels.csv there or in its xanes/ subfolder."
    )


def _read_labels(path):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = set(_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing columns {sorted(missing)}.")
        return list(reader)


def _load_npz_groups(path, pattern, cache):
    """Yield (group name, energy, mu) for the groups of an .npz matching pattern."""
    if path not in cache:
        with np.load(path) as z:
            cache[path] = {k: z[k] for k in z.files}
    arrays = cache[path]
    groups = sorted({k.rsplit("/", 1)[0] for k in arrays if k.endswith("/energy")})
    matched = [g for g in groups if fnmatch.fnmatchcase(g, pattern)]
    if not matched:
        raise ValueError(f"{path}: no group matches {pattern!r}.")
    for g in matched:
        yield g, arrays[f"{g}/energy"], arrays[f"{g}/mu"]


def _energy_grid(energy_grid, energies, elements):
    """The grid of ``X``: the one given, or for ``"common"`` the shared range
    of the spectra ``energies`` (all of one element) at their median step."""
    if not isinstance(energy_grid, str):
        return np.asarray(energy_grid, dtype=np.float64)
    if energy_grid != "common":
        raise ValueError(
            f"energy_grid must be 'common' or an array; got {energy_grid!r}."
        )
    elements = sorted(set(elements))
    if len(elements) > 1:
        raise ValueError(
            "energy_grid='common' needs one element; the selection holds "
            f"{elements}. Pass element=..."
        )
    start = max(e[0] for e in energies)
    stop = min(e[-1] for e in energies)
    if start >= stop:
        raise ValueError(
            "the selected spectra share no energy range "
            f"(highest start {start:g}, lowest end {stop:g})."
        )
    step = float(np.median([np.median(np.diff(e)) for e in energies]))
    return start + step * np.arange(int(np.floor((stop - start) / step)) + 1)


def load_xanes_references(
    data_dir=None,
    *,
    element=None,
    source="all",
    energy_grid=None,
    as_frame=False,
):
    """Load measured XANES reference spectra and their labels in one call.

    The folder holds ``labels.csv`` with the columns ``file, group, element,
    edge, compound, nominal_oxidation_state, note, source, kind``; ``file`` is
    an XDI file (read with :func:`skspectra.io.read_xdi`: mu from the mu
    column or :math:`\\ln(I_0/I_t)`) or an ``.npz`` archive whose ``group``
    (a name, or a pattern with ``*`` standing for several scans) names the
    arrays ``<group>/energy`` and ``<group>/mu``.  One entry is returned per
    spectrum, in the order of the table.

    Parameters
    ----------
    data_dir : path-like, default=None
        The folder with ``labels.csv``, or a folder with a ``xanes``
        subfolder holding it; None looks for the shared data folder with
        :func:`find_data_dir`.
    element : str or list of str, default=None
        Keep only these absorbing elements (``"Mn"``); None keeps all.
    source : {"all", "xdi", "npz"}, default="all"
        Keep only the XDI files or only the ``.npz`` groups.
    energy_grid : {"common"} or array-like, default=None
        Also resample every spectrum onto one grid (PCHIP, see
        :func:`skspectra.preprocessing.resample_spectra`), returned as ``X``
        and ``energy``.  ``"common"``: from the highest start to the lowest
        end of the selected spectra, with their median step; it needs a
        single element.  None: no resampling.
    as_frame : bool, default=False
        Return ``labels`` as a pandas DataFrame (needs pandas) instead of a
        dict of arrays.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``energies`` and ``spectra``: lists of 1-D arrays (raw mu, each on its
        own grid); ``names``: an identifier per spectrum (``file`` or
        ``file:group``); ``labels``: the table, one row per spectrum, with
        ``nominal_oxidation_state`` as floats (NaN where empty);
        ``target``: that oxidation state; ``X`` and ``energy`` when
        ``energy_grid`` is given; ``DESCR``.

    Raises
    ------
    FileNotFoundError
        If no folder with ``labels.csv`` is found.
    ValueError
        If nothing matches ``element``/``source``, a group is missing, an
        energy axis is not increasing (the message names the spectrum), or
        ``energy_grid="common"`` is asked for several elements.

    See Also
    --------
    skspectra.io.read_xdi : The XDI reader.
    skspectra.preprocessing.XANESNormalizer : Edge-step normalisation.

    Examples
    --------
    The data folder is not part of the package, so these lines are not run
    as a test:

    >>> from skspectra.datasets import load_xanes_references
    >>> mn = load_xanes_references(element="Mn", source="xdi",
    ...                            energy_grid="common")  # doctest: +SKIP
    >>> mn.X.shape, sorted(set(mn.target.tolist()))  # doctest: +SKIP
    ((12, 310), [2.0, 2.667, 3.0, 4.0])
    """
    from skspectra.io import read_xdi
    from skspectra.preprocessing import resample_spectra

    if source not in ("all", "xdi", "npz"):
        raise ValueError(f"source must be 'all', 'xdi' or 'npz'; got {source!r}.")
    folder = _xanes_folder(data_dir)
    rows = _read_labels(folder / "labels.csv")
    if element is not None:
        wanted = {element} if isinstance(element, str) else set(element)
        rows = [r for r in rows if r["element"] in wanted]
    if source != "all":
        rows = [r for r in rows if r["file"].endswith(".npz") == (source == "npz")]
    if not rows:
        raise ValueError(
            f"no spectrum in {folder / 'labels.csv'} for element={element!r}, "
            f"source={source!r}."
        )

    energies, spectra, names, table = [], [], [], []
    cache = {}
    for row in rows:
        path = folder / row["file"]
        if row["file"].endswith(".npz"):
            for group, energy, mu in _load_npz_groups(path, row["group"], cache):
                energies.append(np.asarray(energy, dtype=np.float64))
                spectra.append(np.asarray(mu, dtype=np.float64))
                names.append(f"{row['file']}:{group}")
                table.append({**row, "group": group})
        else:
            energy, mu, _ = read_xdi(path)
            energies.append(energy)
            spectra.append(mu)
            names.append(row["file"])
            table.append(row)
    for i, (energy, mu) in enumerate(zip(energies, spectra, strict=True)):
        if energy.shape != mu.shape or np.any(np.diff(energy) <= 0):
            raise ValueError(
                f"spectrum {i} ({names[i]}): energy must be strictly increasing "
                "and as long as mu."
            )

    labels = {c: np.array([r[c] for r in table], dtype=object) for c in _COLUMNS}
    labels["nominal_oxidation_state"] = np.array(
        [float(v) if v.strip() else np.nan for v in labels["nominal_oxidation_state"]]
    )
    bunch = Bunch(
        energies=energies,
        spectra=spectra,
        names=names,
        target=labels["nominal_oxidation_state"].copy(),
        DESCR=(
            f"{len(spectra)} measured XANES spectra from {folder.name}/labels.csv "
            f"(elements: {', '.join(sorted(set(labels['element'])))}); raw mu, "
            "each on its own energy grid, with the nominal oxidation state as "
            "target."
        ),
    )
    if as_frame:
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("as_frame=True needs pandas: pip install pandas") from exc
        bunch.labels = pd.DataFrame(labels)
    else:
        bunch.labels = labels

    if energy_grid is not None:
        grid = _energy_grid(energy_grid, energies, labels["element"])
        bunch.X = resample_spectra(energies, spectra, grid)
        bunch.energy = grid
    return bunch
