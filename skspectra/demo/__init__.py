"""The ``skspectra demo``: every method on data with a known answer.

Each method of the library has one part here, a private module
``skspectra.demo._<part>`` whose docstring's first line is the part's title
and whose ``run_demo(report, *, data_dir, random_state)`` runs the method on
built-in synthetic data (and on real measured spectra when ``data_dir`` is a
folder, see :func:`skspectra.datasets.find_data_dir`), handing one line of
text at a time to ``report``.  :func:`run` discovers the parts, so a new
module joins the demo without editing this file.

The functions that a part uses on real data and that are worth calling on
their own are public here.
"""

import importlib
import pkgutil
import sys
import time
from pathlib import Path

from skspectra.demo._decomposition import (
    haadf_prediction,
    line_owners,
    load_eds_tem,
    split_half_maps,
    split_half_reproducibility,
)
from skspectra.demo._neighbors import (
    NORMALIZATION_RANGE,
    REAL_ELEMENTS,
    REAL_PARAMS,
    leave_one_compound_out,
)
from skspectra.demo._peaks import ti_l23_crystal_field_peaks, ti_l23_peaks
from skspectra.demo._tree import RELATIVE_ENERGY, xanes_reference_table

# the order in which the parts run: from the distances and the preprocessing
# that the estimators build on to the estimators themselves; parts not listed
# run afterwards in alphabetical order
PARTS = (
    "metrics",
    "preprocessing",
    "decomposition",
    "peaks",
    "neighbors",
    "tree",
    "neural_network",
)
# private modules of this package that are no part: the figures are drawn by
# run() after the parts when it is given a folder for them
NOT_PARTS = ("figures",)

__all__ = [
    "NORMALIZATION_RANGE",
    "NOT_PARTS",
    "PARTS",
    "REAL_ELEMENTS",
    "REAL_PARAMS",
    "RELATIVE_ENERGY",
    "haadf_prediction",
    "leave_one_compound_out",
    "line_owners",
    "load_eds_tem",
    "parts",
    "run",
    "split_half_maps",
    "split_half_reproducibility",
    "ti_l23_crystal_field_peaks",
    "ti_l23_peaks",
    "xanes_reference_table",
]


def parts():
    """Return the parts of the demo in the order in which they run.

    Returns
    -------
    parts : list of (str, module)
        The part's name and its module (with ``run_demo`` and a docstring
        whose first line is the title): first those named in :data:`PARTS`,
        in that order, then any other part in alphabetical order.
    """
    names = [
        info.name[1:]
        for info in pkgutil.iter_modules(__path__)
        if info.name.startswith("_")
        and not info.ispkg
        and info.name[1:] not in NOT_PARTS
    ]
    ordered = [n for n in PARTS if n in names]
    ordered += sorted(n for n in names if n not in PARTS)
    return [(n, importlib.import_module(f"{__name__}._{n}")) for n in ordered]


def run(only=None, data_dir=None, seed=0, figures=None):
    """Run the demo, printing what each part finds against the truth.

    Every part runs even when one fails; a failing part prints ``FAILED``
    with its error and the run as a whole then fails.

    Parameters
    ----------
    only : list of str, default=None
        Names of the parts to run (see :func:`parts`); None runs them all.
    data_dir : path-like, default=None
        Folder of real measured spectra; None looks for one with
        :func:`skspectra.datasets.find_data_dir` and runs the synthetic
        parts alone if there is none.
    seed : int, default=0
        Random seed handed to every part.
    figures : path-like, default=None
        Folder for the demo's figures (created if needed): the components of
        the measured EDS image named by their lines, the maps of the
        TEM-EDS image beside its HAADF image, the ESPRIT peaks of the
        Ti L2,3 white lines, the similarity map of Mn XANES references and
        the dendrogram with its decision tree (synthetic data without a data
        folder).  None writes no figure.

    Returns
    -------
    exit_code : int
        0 if every part ran, 1 if one failed, 2 if ``data_dir`` is not a
        folder or ``only`` names an unknown part (the message goes to
        standard error).
    """
    import skspectra
    from skspectra.datasets import find_data_dir

    if data_dir:
        data_dir = Path(data_dir)
        if not data_dir.is_dir():
            print(
                f"skspectra demo: data folder {data_dir} does not exist",
                file=sys.stderr,
            )
            return 2
    else:
        data_dir = find_data_dir()
    modules = parts()
    if only:
        unknown = set(only) - {name for name, _ in modules}
        if unknown:
            valid = ", ".join(name for name, _ in modules)
            print(
                f"skspectra demo: no demo named {sorted(unknown)}; valid: {valid}",
                file=sys.stderr,
            )
            return 2
        modules = [(n, m) for n, m in modules if n in only]
    where = f"real spectra from {data_dir}" if data_dir else "no real-data folder"
    print(f"skspectra {skspectra.__version__} demo ({where})")
    failures = 0
    start_all = time.perf_counter()
    for name, module in modules:
        title = (module.__doc__ or name).strip().splitlines()[0]
        print(f"\n== {name}: {title}")
        start = time.perf_counter()
        try:
            module.run_demo(print, data_dir=data_dir, random_state=seed)
        except Exception as exc:  # report every part, then fail as a whole
            failures += 1
            print(f"   FAILED: {type(exc).__name__}: {exc}")
        print(f"   ({time.perf_counter() - start:.1f} s)")
    if figures is not None:
        from skspectra.demo._figures import write_figures

        print(f"\n== figures: into {Path(figures).resolve()}")
        written, failed = write_figures(
            figures, data_dir=data_dir, random_state=seed, report=print
        )
        failures += failed
        print(f"   {len(written)} figures in {Path(figures).resolve()}")
    total = time.perf_counter() - start_all
    print(f"\n{len(modules) - failures} of {len(modules)} demos ran in {total:.1f} s")
    return 1 if failures else 0
