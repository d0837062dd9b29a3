"""``skspectra demo``: every method on built-in synthetic data (and on real
measured spectra when a data folder is found, see
:func:`skspectra.datasets.find_data_dir`), printed against the truth.

The parts of the demo live in :mod:`skspectra.demo`; this module only adds
the command and its flags.
"""

# where `skspectra demo` writes its figures unless told otherwise, relative
# to the current folder (as the other commands write their results there)
DEFAULT_FIGURES = "skspectra_demo_figures"


def _cmd_demo(args):
    from skspectra.demo import run

    figures = None if args.no_figures else args.figures
    return run(only=args.only, data_dir=args.data_dir, seed=args.seed, figures=figures)


def add_parser(sub):
    """Add the ``demo`` command to the subparsers ``sub``."""
    demo = sub.add_parser(
        "demo",
        help="run every method on built-in data and compare with the truth",
        description=(
            "Run every method on built-in synthetic data with known ground truth, "
            "and on real measured spectra when a data folder is found "
            "(SKSPECTRA_DATA, or shared/data beside the working directory)."
        ),
    )
    demo.add_argument(
        "--data-dir", help="folder of real spectra to use (default: found)"
    )
    demo.add_argument(
        "--seed", type=int, default=0, help="random seed (default: %(default)s)"
    )
    demo.add_argument(
        "--only",
        nargs="+",
        metavar="PART",
        help="run only these parts of the demo (default: all)",
    )
    demo.add_argument(
        "--figures",
        metavar="FOLDER",
        default=DEFAULT_FIGURES,
        help="folder for the demo's PNG figures, created if needed; the demo "
        "prints where they are (default: %(default)s in the current folder)",
    )
    demo.add_argument(
        "--no-figures",
        action="store_true",
        help="draw no figures (default: draw them)",
    )
    demo.set_defaults(func=_cmd_demo)
    return demo
