"""``skspectra estimate``: a labelled parameter (e.g. valence) of measured
XANES spectra from the most similar reference spectra."""

import csv
import os
from pathlib import Path

from skspectra.cli._common import (
    InputError,
    LibraryNames,
    existing_file,
    flag_message,
    plural,
    read_input,
)

# the library's names, read when a --metric value is checked or shown
METRICS = LibraryNames("skspectra.metrics", "METRIC_NAMES")
FLAGS = {"n_neighbors": "--n-neighbors", "metric": "--metric"}
# the near-edge grid: from 20 eV below to 80 eV above the median edge, 0.5 eV
# steps (finer than the ~1 eV core-hole broadening of K edges of 3d metals)
GRID_BELOW, GRID_ABOVE, GRID_STEP = 20.0, 80.0, 0.5
# the window compared: the edge and the first ~45 eV of XANES structure
WINDOW_BELOW, WINDOW_ABOVE = 15.0, 45.0
# finest step of the grid used to locate each reference's edge
EDGE_STEP = 0.1


def metric_name(text):
    """``--metric`` value: hyphens read as underscores (jensen-shannon)."""
    return text.strip().lower().replace("-", "_")


def add_parser(sub):
    """Add the ``estimate`` command to the subparsers ``sub``."""
    p = sub.add_parser(
        "estimate",
        help="a parameter (e.g. valence) of measured spectra from similar references",
        description=(
            "Estimate a labelled parameter of measured XANES spectra from the most "
            "similar reference spectra (similarity kNN). The references are a "
            "folder with labels.csv (columns file, group, element, edge, compound, "
            "nominal_oxidation_state, ...) and the spectra it names. A query that "
            "is itself one of the references is left out of them."
        ),
    )
    p.add_argument(
        "queries",
        nargs="+",
        metavar="QUERY",
        help="measured spectra (.xdi, .msa, .npz, ...; an .npz may hold one "
        "spectrum per row)",
    )
    p.add_argument(
        "--references", required=True, metavar="FOLDER", help="folder with labels.csv"
    )
    p.add_argument(
        "--element",
        help="absorbing element of the references to use (default: all; needed "
        "when they hold several)",
    )
    p.add_argument(
        "--target",
        default="nominal_oxidation_state",
        help="numeric column of labels.csv to estimate (default: %(default)s)",
    )
    p.add_argument(
        "--metric",
        default="cosine",
        type=metric_name,
        choices=METRICS,
        metavar="METRIC",
        help="spectral distance, one of %(choices)s (default: %(default)s)",
    )
    p.add_argument(
        "--n-neighbors",
        type=int,
        default=3,
        help="number of most similar references averaged, weighted by inverse "
        "distance (default: %(default)s)",
    )
    p.add_argument(
        "--exclude-compound",
        action="store_true",
        help="also leave out every reference of the query's compound (as "
        "labels.csv names it), to estimate it from other compounds only "
        "(default: leave out only the query's own file)",
    )
    p.add_argument(
        "--quiet",
        action="store_true",
        help="print only the estimates (default: also the nearest references "
        "and the references left out)",
    )
    p.set_defaults(func=run)
    return p


# --------------------------------------------------------------- references
def _labels_folder(references):
    folder = Path(references)
    if not folder.is_dir():
        raise InputError(f"--references {folder}: no such folder")
    for candidate in (folder, folder / "xanes"):
        if (candidate / "labels.csv").is_file():
            return candidate
    raise InputError(f"--references {folder}: no labels.csv there or in xanes/")


def _check_target_column(folder, target):
    """Fail at once, before any spectrum is read, on a --target not in labels.csv."""
    with open(folder / "labels.csv", newline="", encoding="utf-8") as handle:
        columns = next(csv.reader(handle), [])
    if target not in columns:
        raise InputError(
            f"--target {target}: no column {target!r} in labels.csv; columns: "
            f"{', '.join(columns)}"
        )


def _target_values(labels, target):
    import numpy as np

    values = []
    for v in labels[target]:
        text = str(v).strip()
        try:
            values.append(float(text) if text not in ("", "nan") else np.nan)
        except ValueError:
            raise InputError(
                f"--target {target}: the column holds text ({text!r}); estimate "
                "needs a numeric column such as nominal_oxidation_state"
            ) from None
    return np.array(values)


def _edge_grid(energies, spectra):
    """A common near-edge grid for one element's references, and its edge."""
    import numpy as np

    from skspectra.preprocessing import edge_energy, resample_spectra

    e0 = []
    for e, mu in zip(energies, spectra, strict=True):
        grid = np.arange(e[0], e[-1], max(np.median(np.diff(e)), EDGE_STEP))
        e0.append(float(edge_energy(resample_spectra(e, [mu], grid), grid)[0]))
    center = float(np.median(e0))
    grid = np.arange(
        center - GRID_BELOW, center + GRID_ABOVE + GRID_STEP / 2, GRID_STEP
    )
    return grid, center


def _normalise_on(grid, energy, mu):
    """Edge-step normalised mu on the grid; ValueError says why not."""
    from skspectra.preprocessing import normalize_onto_grid

    if energy[0] > grid[0] or energy[-1] < grid[-1]:
        raise ValueError(
            f"its energy axis {energy[0]:.1f}..{energy[-1]:.1f} eV does not cover "
            f"the references' grid {grid[0]:.1f}..{grid[-1]:.1f} eV"
        )
    return normalize_onto_grid(energy, mu, grid, normalization_grid=grid)


def _load_references(args, folder):
    """Normalised labelled references; prints which were left out and why."""
    import numpy as np

    from skspectra.datasets import load_xanes_references

    try:
        refs = load_xanes_references(folder, element=args.element)
    except (FileNotFoundError, ValueError) as exc:
        raise InputError(f"--references {args.references}: {exc}") from exc
    y = _target_values(refs.labels, args.target)
    elements = sorted(set(refs.labels["element"]))
    if len(elements) > 1:
        raise InputError(
            f"--references {args.references} hold several elements "
            f"({', '.join(elements)}); choose one with --element"
        )
    labelled = np.flatnonzero(np.isfinite(y))
    grid, e0 = _edge_grid(
        [refs.energies[i] for i in labelled], [refs.spectra[i] for i in labelled]
    )
    rows, kept, failed = [], [], []
    for i in labelled:
        try:
            rows.append(_normalise_on(grid, refs.energies[i], refs.spectra[i]))
            kept.append(i)
        except ValueError as exc:
            failed.append((refs.names[i], " ".join(str(exc).split())))
    if not args.quiet:
        print(
            f"{plural(len(kept), 'reference')} of {elements[0]} used of "
            f"{len(labelled)} with a {args.target} label, edge near {e0:.1f} eV, "
            f"metric {args.metric}, k={args.n_neighbors}"
        )
    # listed even with --quiet: a reference dropped unseen changes the answer
    for name, reason in failed:
        print(f"    left out {name}: {reason}")
    kept = np.array(kept, dtype=int)
    files = [folder / refs.labels["file"][i] for i in kept]
    return dict(
        X=np.asarray(rows),
        y=y[kept],
        names=[refs.names[i] for i in kept],
        compounds=[str(refs.labels["compound"][i]) for i in kept],
        identities=[_identity(f) for f in files],
        grid=grid,
        e0=e0,
    )


def _identity(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


# ------------------------------------------------------------------ queries
def _query_spectra(path):
    """``[(name, energy in eV, mu)]`` of a query file (a row each)."""
    data, energy, units, _ = read_input(path)
    if units.lower() == "kev":
        energy = energy * 1000.0
    if data.ndim == 1:
        return [(str(path), energy, data.astype(float))]
    if data.ndim == 2:
        return [
            (f"{path}[{i}]", energy, row.astype(float)) for i, row in enumerate(data)
        ]
    raise InputError(f"{path}: holds {data.shape} data; expected spectra")


def _left_out(refs, query, exclude_compound):
    """Mask of the references to leave out for ``query``, and why."""
    import numpy as np

    identity = _identity(query)
    own = np.array([i is not None and i == identity for i in refs["identities"]])
    reasons = ["the query itself"] if own.any() else []
    if not exclude_compound:
        return own, reasons
    compounds = {c for c, o in zip(refs["compounds"], own, strict=True) if o}
    if not compounds:
        raise InputError(
            f"--exclude-compound: {query} is not one of the references, so its "
            "compound is unknown"
        )
    wanted = {c.lower() for c in compounds}
    same = np.array([c.lower() in wanted for c in refs["compounds"]])
    n_same = int((same & ~own).sum())
    reasons.append(
        f"{plural(n_same, 'other spectrum', 'other spectra')} of "
        f"{', '.join(sorted(compounds))}"
    )
    return own | same, reasons


def _estimate_one(args, refs, name, energy, mu, leave_out, reasons):
    from skspectra.neighbors import SimilarityKNNEstimator

    grid, e0 = refs["grid"], refs["e0"]
    try:
        x = _normalise_on(grid, energy, mu)
    except ValueError as exc:
        raise InputError(f"{name}: {exc}") from exc
    window = (grid >= e0 - WINDOW_BELOW) & (grid <= e0 + WINDOW_ABOVE)
    use = ~leave_out
    if use.sum() < args.n_neighbors:
        raise InputError(
            f"{name}: {plural(int(use.sum()), 'reference')} left, fewer than "
            f"--n-neighbors {args.n_neighbors}"
        )
    model = SimilarityKNNEstimator(
        n_neighbors=args.n_neighbors,
        metric=args.metric,
        weights="distance",
        energy=grid[window],
    )
    xq = x[window][None]
    try:
        model.fit(refs["X"][use][:, window], refs["y"][use])
        pred = float(model.predict(xq)[0])
        dist, idx = model.kneighbors(xq)
    except ValueError as exc:
        raise InputError(f"--metric {args.metric}: {flag_message(exc, FLAGS)}") from exc
    names = [n for n, u in zip(refs["names"], use, strict=True) if u]
    y = refs["y"][use]
    print(f"{name}: {args.target} = {pred:.2f}")
    if args.quiet:
        return
    for d, j in zip(dist[0], idx[0], strict=True):
        print(f"    {names[j]:<40} {args.target} {y[j]:<6g} distance {d:.4g}")
    if reasons:
        print(f"    (left out of the references: {'; '.join(reasons)})")


def run(args):
    """A material parameter of measured spectra from similar references."""
    folder = _labels_folder(args.references)
    _check_target_column(folder, args.target)
    queries = [existing_file(q) for q in args.queries]
    refs = _load_references(args, folder)
    if len(refs["y"]) < args.n_neighbors:
        usable = plural(len(refs["y"]), "spectrum", "spectra")
        raise InputError(
            f"--references {args.references}: {usable} usable, fewer than "
            f"--n-neighbors {args.n_neighbors}"
        )
    for query in queries:
        leave_out, reasons = _left_out(refs, query, args.exclude_compound)
        for name, energy, mu in _query_spectra(query):
            _estimate_one(args, refs, name, energy, mu, leave_out, reasons)
    return 0
