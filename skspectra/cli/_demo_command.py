"""``skspectra demo``: every method on built-in synthetic data (and on real
measured spectra when a data folder is found, see
:func:`skspectra.datasets.find_data_dir`), printed against the truth.

The parts of the demo live in :mod:`skspectra.demo`; this module only adds
the command and its flags.
"""


def _cmd_demo(args):
    from skspectra.demo import run

    return run(only=args.only, data_dir=args.data_dir, seed=args.seed)


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
    demo.set_defaults(func=_cmd_demo)
    return demo
