"""``skspectra interpret``: clusters of spectra explained by rules on
structural descriptors (SpectralDendrogramTree)."""

import csv
from pathlib import Path

from skspectra.cli._common import (
    InputError,
    add_output_options,
    existing_file,
    flag_message,
    output_folder,
    output_stem,
    plural,
    read_input,
    report_written,
    write_results,
)
from skspectra.cli._estimate import METRICS, metric_name

# the linkages of skspectra.tree (a test keeps them equal)
LINKAGES = ("ward", "average", "complete", "single")
# a text column with more distinct values than this is an identifier (names
# of compounds), not a categorical descriptor, and is not one-hot encoded
MAX_LEVELS = 20
FLAGS = {
    "n_clusters": "--n-clusters",
    "max_depth": "--max-depth",
    "metric": "--metric",
    "linkage": "--linkage",
}


def add_parser(sub):
    """Add the ``interpret`` command to the subparsers ``sub``."""
    p = sub.add_parser(
        "interpret",
        help="cluster spectra and explain the clusters with descriptors",
        description=(
            "Cluster spectra hierarchically and explain the clusters by a decision "
            "tree on structural descriptors (SpectralDendrogramTree). Prints the "
            "rules; writes <name>_<ext>_rules.txt and a PNG figure, both or neither."
        ),
    )
    p.add_argument("spectra", help="spectra, one per row (.npz with X, .npy, ...)")
    p.add_argument(
        "--descriptors",
        required=True,
        metavar="CSV",
        help="CSV with a header, one row per spectrum; text columns with at most "
        f"{MAX_LEVELS} values are one-hot encoded, others left out",
    )
    p.add_argument(
        "--n-clusters",
        type=int,
        default=4,
        help="number of clusters (default: %(default)s)",
    )
    p.add_argument(
        "--max-depth",
        type=int,
        default=3,
        help="depth of the explaining decision tree (default: %(default)s)",
    )
    p.add_argument(
        "--metric",
        default="euclidean",
        type=metric_name,
        choices=METRICS,
        metavar="METRIC",
        help="spectral distance of the clustering, one of %(choices)s "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--linkage",
        default="ward",
        choices=LINKAGES,
        help="how cluster distances are formed; ward needs --metric euclidean "
        "(default: %(default)s)",
    )
    add_output_options(p)
    p.set_defaults(func=run)
    return p


def _read_descriptors(path):
    """Descriptor matrix and names: numbers kept, categories one-hot encoded."""
    import numpy as np
    from sklearn.preprocessing import OneHotEncoder

    path = existing_file(path, "--descriptors")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if len(rows) < 2:
        raise InputError(
            f"--descriptors {path}: expected a header row and one row per spectrum"
        )
    header, body = rows[0], rows[1:]
    columns, names = [], []
    for j, name in enumerate(header):
        values = [r[j].strip() if j < len(r) else "" for r in body]
        try:
            columns.append(np.array([float(v) if v else np.nan for v in values]))
            names.append(name)
            continue
        except ValueError:
            pass
        if len(set(values)) > MAX_LEVELS:
            continue
        encoder = OneHotEncoder(
            sparse_output=False, feature_name_combiner=lambda f, c: f"{f}={c}"
        )
        encoded = encoder.fit_transform(np.array(values, dtype=object)[:, None])
        columns.extend(encoded.T)
        names.extend(encoder.get_feature_names_out([name]))
    if not columns:
        raise InputError(f"--descriptors {path}: no descriptor columns")
    return np.column_stack(columns), [str(n) for n in names]


def run(args):
    """Clusters of spectra explained by rules on descriptors."""
    existing_file(args.spectra)
    D, names = _read_descriptors(args.descriptors)
    spectra, energy, _, _ = read_input(args.spectra)
    if spectra.ndim != 2:
        raise InputError(
            f"{args.spectra}: holds data of shape {spectra.shape}; expected one "
            "spectrum per row (n_spectra, n_channels)"
        )
    if spectra.shape[0] != D.shape[0]:
        raise InputError(
            f"--descriptors {args.descriptors} has {D.shape[0]} rows but "
            f"{args.spectra} has {spectra.shape[0]} spectra; they must match row "
            "by row"
        )
    folder = output_folder(args)
    import numpy as np

    from skspectra.tree import SpectralDendrogramTree

    spectra = np.asarray(spectra, dtype=float)
    model = SpectralDendrogramTree(
        n_clusters=args.n_clusters,
        metric=args.metric,
        linkage=args.linkage,
        max_depth=args.max_depth,
        energy=energy,
        random_state=args.seed,
    )
    try:
        import pandas as pd

        D = pd.DataFrame(D, columns=names)
    except ImportError:
        pass
    try:
        model.fit(D, spectra)
    except ValueError as exc:
        raise InputError(flag_message(exc, FLAGS)) from exc
    text = model.export_text()
    print(text)
    stem = output_stem(args.spectra)
    written = write_results(
        folder,
        texts={f"{stem}_rules.txt": text + "\n"},
        figure=(
            f"{stem}_interpretation.png",
            None if args.no_figure else lambda: _figure(model, spectra, args),
        ),
    )
    report_written(written)
    return 0


def _figure(model, spectra, args):
    """Dendrogram, cluster spectra and tree, titled with the two file names."""
    clusters = plural(model.n_clusters_, "cluster")
    return model.plot(
        spectra=spectra,
        title=f"{Path(args.spectra).name}: {clusters} explained by "
        f"{Path(args.descriptors).name}",
    )
