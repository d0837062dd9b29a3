"""The ``skspectra`` command.

``skspectra demo`` runs every method of the library on built-in synthetic
data (and on real measured spectra when a data folder is found, see
:func:`skspectra.datasets.find_data_dir`) and prints what it found against
the truth; its parts live in :mod:`skspectra.demo`.
"""

import argparse
import signal
import sys

import skspectra


def _cmd_demo(args):
    from skspectra.demo import run

    return run(only=args.only, data_dir=args.data_dir, seed=args.seed)


def build_parser():
    """Return the argument parser of the ``skspectra`` command."""
    parser = argparse.ArgumentParser(
        prog="skspectra",
        description=(
            "Machine learning for EELS, XAS/XANES and EDS spectra: "
            "scikit-learn estimators from the command line."
        ),
    )
    parser.add_argument(
        "--version", action="version", version=f"skspectra {skspectra.__version__}"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="run every method on built-in data and compare with the truth",
        description=(
            "Run every method on built-in synthetic data with known ground truth, "
            "and on real measured spectra when a data folder is found "
            "(SKSPECTRA_DATA, or shared/data beside the working directory)."
        ),
    )
    demo.add_argument("--data-dir", help="folder of real spectra to use")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument(
        "--only", nargs="+", metavar="PART", help="run only these parts of the demo"
    )
    demo.set_defaults(func=_cmd_demo)
    _add_file_commands(sub)
    return parser


def _add_common(p):
    p.add_argument("--out", help="folder for the result files (default: here)")
    p.add_argument("--no-figure", action="store_true", help="write no PNG figure")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def _add_file_commands(sub):
    from skspectra import _cli_commands as c

    p = sub.add_parser(
        "decompose",
        help="components, maps and their number for a spectrum image (NMF)",
        description=(
            "Factorise a spectrum image into component spectra and abundance maps "
            "with SparseNMF (Gaussian noise) or PoissonNMF (counts), learning the "
            "number of components with --n-components auto. Writes "
            "<name>_components.csv, <name>_decomposition.npz and a PNG figure."
        ),
    )
    p.add_argument("file", help="spectrum image (.npz, .npy, .hspy, .bcf, .dm3, ...)")
    p.add_argument("--model", choices=["sparse", "poisson"], default="poisson")
    p.add_argument(
        "--n-components", default="auto", help="'auto' (default) or a number"
    )
    p.add_argument(
        "--max-components",
        type=int,
        default=10,
        help="upper bound for --n-components auto (default 10)",
    )
    p.add_argument("--orthogonality", type=float, default=0.0)
    p.add_argument("--max-iter", type=int, default=300)
    p.add_argument(
        "--tol", type=float, default=1e-4, help="relative stopping tolerance"
    )
    p.add_argument("--energy-min", type=float, help="lowest energy kept")
    p.add_argument("--energy-max", type=float, help="highest energy kept")
    _add_common(p)
    p.set_defaults(func=c.cmd_decompose)

    p = sub.add_parser(
        "peaks",
        help="Lorentzian peaks of a spectrum by ESPRIT, no initial guess",
        description=(
            "Decompose one background-free spectrum into Lorentzian peaks "
            "(position, half-width, area) by ESPRIT. Writes <name>_peaks.csv and "
            "a PNG figure."
        ),
    )
    p.add_argument("file", help="one spectrum (.msa, .xdi, .npy, .npz, ...)")
    p.add_argument("--max-peaks", type=int, default=10)
    p.add_argument(
        "--background",
        nargs=2,
        type=float,
        metavar=("E1", "E2"),
        help="subtract an EELS power-law background fitted in [E1, E2] first",
    )
    p.add_argument("--energy-min", type=float)
    p.add_argument("--energy-max", type=float)
    _add_common(p)
    p.set_defaults(func=c.cmd_peaks)

    p = sub.add_parser(
        "estimate",
        help="a parameter (e.g. valence) of measured spectra from similar references",
        description=(
            "Estimate a labelled parameter of measured XANES spectra from the most "
            "similar reference spectra (similarity kNN). The references are a "
            "folder with labels.csv (columns file, group, element, edge, compound, "
            "nominal_oxidation_state, ...) and the spectra it names."
        ),
    )
    p.add_argument("queries", nargs="+", metavar="QUERY", help="measured spectra")
    p.add_argument("--references", required=True, help="folder with labels.csv")
    p.add_argument("--element", help="absorbing element of the references to use")
    p.add_argument("--target", default="nominal_oxidation_state")
    p.add_argument("--metric", default="cosine")
    p.add_argument("--n-neighbors", type=int, default=3)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=c.cmd_estimate)

    p = sub.add_parser(
        "interpret",
        help="cluster spectra and explain the clusters with descriptors",
        description=(
            "Cluster spectra hierarchically and explain the clusters by a decision "
            "tree on structural descriptors (SpectralDendrogramTree). Prints the "
            "rules; writes <name>_rules.txt and a PNG figure."
        ),
    )
    p.add_argument("spectra", help="spectra, one per row (.npz with X, .npy)")
    p.add_argument(
        "--descriptors", required=True, help="CSV, one row per spectrum, with header"
    )
    p.add_argument("--n-clusters", type=int, default=4)
    p.add_argument("--max-depth", type=int, default=3)
    p.add_argument("--metric", default="euclidean")
    p.add_argument("--linkage", default="ward")
    _add_common(p)
    p.set_defaults(func=c.cmd_interpret)


def main(argv=None):
    """Run the ``skspectra`` command; return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    from skspectra._cli_commands import InputError

    # a terminated run unwinds like an interrupted one, so that temporary
    # result files are removed and no partial output is left behind
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"skspectra {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"skspectra {args.command}: interrupted", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


def _terminate(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise SystemExit(main())
