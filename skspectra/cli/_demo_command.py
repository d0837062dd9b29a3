"""``skspectra demo``: every method on built-in synthetic data (and on real
measured spectra when a data folder is found, see
:func:`skspectra.datasets.find_data_dir`), printed against the truth.

Each subpackage contributes its part of the demo through a private ``_demo``
module with a ``run_demo(report, *, data_dir, random_state)`` function; the
command discovers them, so a new method joins the demo without editing this
file.
"""

import importlib
import pkgutil
import sys
import time
from pathlib import Path

import skspectra

# the order in which the parts of the demo run; subpackages not listed here
# but having a _demo module run afterwards in alphabetical order
DEMO_ORDER = [
    "metrics",
    "preprocessing",
    "decomposition",
    "peaks",
    "neighbors",
    "tree",
    "neural_network",
]


def _demo_modules():
    """Return ``[(subpackage, module)]`` for every subpackage with a demo."""
    names = [
        info.name for info in pkgutil.iter_modules(skspectra.__path__) if info.ispkg
    ]
    ordered = [n for n in DEMO_ORDER if n in names]
    ordered += sorted(n for n in names if n not in DEMO_ORDER)
    found = []
    for name in ordered:
        try:
            module = importlib.import_module(f"skspectra.{name}._demo")
        except ModuleNotFoundError as exc:
            if exc.name == f"skspectra.{name}._demo":
                continue
            raise
        found.append((name, module))
    return found


def _cmd_demo(args):
    from skspectra.datasets import find_data_dir

    data_dir = Path(args.data_dir) if args.data_dir else find_data_dir()
    if args.data_dir and not data_dir.is_dir():
        print(f"skspectra demo: data folder {data_dir} does not exist", file=sys.stderr)
        return 2
    modules = _demo_modules()
    if args.only:
        unknown = set(args.only) - {name for name, _ in modules}
        if unknown:
            valid = ", ".join(name for name, _ in modules)
            print(
                f"skspectra demo: no demo named {sorted(unknown)}; valid: {valid}",
                file=sys.stderr,
            )
            return 2
        modules = [(n, m) for n, m in modules if n in args.only]
    where = f"real spectra from {data_dir}" if data_dir else "no real-data folder"
    print(f"skspectra {skspectra.__version__} demo ({where})")
    failures = 0
    start_all = time.perf_counter()
    for name, module in modules:
        title = (module.__doc__ or name).strip().splitlines()[0]
        print(f"\n== {name}: {title}")
        start = time.perf_counter()
        try:
            module.run_demo(print, data_dir=data_dir, random_state=args.seed)
        except Exception as exc:  # report every part, then fail as a whole
            failures += 1
            print(f"   FAILED: {type(exc).__name__}: {exc}")
        print(f"   ({time.perf_counter() - start:.1f} s)")
    total = time.perf_counter() - start_all
    print(f"\n{len(modules) - failures} of {len(modules)} demos ran in {total:.1f} s")
    return 1 if failures else 0


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
