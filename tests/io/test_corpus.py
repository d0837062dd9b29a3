"""Every spectrum file of a corpus reads, or is refused with a one-line message.

Two corpora: the real spectra of the shared data folder (XDI, MSA, DM3), which
must all read, and the test data that rosettasciio and exspy ship, where
images, complex data and broken files must be refused cleanly.  The second is
found in the folders named by ``SKSPECTRA_IO_CORPUS`` (separated like
``PATH``) and in the installed packages, when they ship their test data.

The files are read through :mod:`skspectra.io` and through the command that
fits them: XDI files go to ``skspectra estimate`` against the shared
references, one spectrum to ``skspectra peaks``, anything larger to
``skspectra decompose``.  Each command must run (exit 0, its results
written) or refuse the file with one line on stderr and exit code 2, no
traceback and nothing written.  CI runs a handful of shared files through the
commands; the whole corpus runs through them when ``SKSPECTRA_IO_CORPUS`` is
set.
"""

import contextlib
import importlib.util
import io
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

from skspectra import cli
from skspectra.io import (
    SUPPORTED_EXTENSIONS,
    SpectrumFileError,
    read_file,
    read_spectrum,
)

# (package, folder inside it) where a wheel may ship its test data
_PACKAGE_TEST_DATA = [("rsciio", "tests/data"), ("exspy", "tests"), ("exspy", "data")]


def _package_folders():
    folders = []
    for package, sub in _PACKAGE_TEST_DATA:
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            continue
        for location in (spec and spec.submodule_search_locations) or []:
            if (Path(location) / sub).is_dir():
                folders.append(Path(location) / sub)
    return folders


def _external_folders():
    named = os.environ.get("SKSPECTRA_IO_CORPUS", "")
    folders = [Path(p) for p in named.split(os.pathsep) if p]
    return [f for f in folders if f.is_dir()] + _package_folders()


def _spectrum_files(folders):
    found = {
        p.resolve()
        for folder in folders
        for p in folder.rglob("*")
        if p.suffix.lower() in SUPPORTED_EXTENSIONS and p.is_file()
    }
    return sorted(found)


def _check_read(spectrum):
    """What is wrong with a spectrum that was read, or None."""
    energy, intensity, _ = spectrum
    energy = np.asarray(energy)
    intensity = np.asarray(intensity)
    if energy.ndim != 1 or energy.dtype != np.float64:
        return f"energy is {energy.dtype} of shape {energy.shape}"
    n = energy.size
    multi_column = intensity.ndim == 2 and intensity.shape[0] == n
    if intensity.ndim == 0 or not (intensity.shape[-1] == n or multi_column):
        return f"intensity shape {intensity.shape} does not end in {n} channels"
    if intensity.dtype.kind not in "iuf":
        return f"intensity of type {intensity.dtype}"
    if not (np.all(np.isfinite(energy)) and np.all(np.isfinite(intensity))):
        return "values that are not finite"
    if not np.all(np.diff(energy) > 0):
        return "energy not strictly increasing"
    return None


def _missing_package_is_named(exc):
    """An ImportError is a clean refusal only if it names what to install."""
    message = str(exc)
    return "\n" not in message and "pip install" in message


def _outcome(path):
    """``("read", detail)``, ``("rejected", message)`` or ``("crashed", why)``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spectrum = read_spectrum(path)
    except (ValueError, OSError) as exc:
        message = str(exc)
        if not message or "\n" in message:
            return "crashed", f"{type(exc).__name__} without a one-line message"
        return "rejected", message
    except ImportError as exc:
        if _missing_package_is_named(exc):
            return "rejected", str(exc)
        return "crashed", f"ImportError that names no package: {exc}"
    except Exception as exc:  # the corpus test exists to find these
        return "crashed", f"{type(exc).__name__}: {exc}"
    problem = _check_read(spectrum)
    if problem is not None:
        return "crashed", f"read, but {problem}"
    return "read", tuple(np.shape(spectrum.intensity))


def _run(files):
    outcomes = {path: _outcome(path) for path in files}
    counts = {kind: 0 for kind in ("read", "rejected", "crashed")}
    for kind, _ in outcomes.values():
        counts[kind] += 1
    print(f"{len(files)} files: {counts}")
    return outcomes, counts


def test_shared_data_spectra_all_read(shared_data):
    files = _spectrum_files([shared_data])
    xdi = [p for p in files if p.suffix.lower() == ".xdi"]
    assert len(xdi) > 100
    outcomes, counts = _run(files)
    failed = {str(p): o for p, o in outcomes.items() if o[0] != "read"}
    assert failed == {}
    assert counts["read"] == len(files)


@pytest.fixture(scope="module")
def external_outcomes():
    files = _spectrum_files(_external_folders())
    if not files:
        pytest.skip(
            "no external corpus: set SKSPECTRA_IO_CORPUS to folders holding "
            "rosettasciio's and exspy's test data"
        )
    return _run(files)


def test_external_corpus_never_crashes(external_outcomes):
    outcomes, counts = external_outcomes
    crashed = {str(p): why for p, (kind, why) in outcomes.items() if kind == "crashed"}
    assert crashed == {}
    assert counts["read"] > 0


def _outcome_of(outcomes, name):
    matches = [o for p, o in outcomes.items() if p.as_posix().endswith(name)]
    if not matches:
        pytest.skip(f"{name} is not in the external corpus")
    return matches[0]


@pytest.mark.parametrize(
    "name, shape",
    [
        ("digitalmicrograph/3D/EELS_SI.dm4", (2, 2, 2048)),
        ("digitalmicrograph/2D/test-MonarcCL_spectrum-SI.dm4", (3, 3, 670)),
        ("msa/example1.msa", (21,)),
        ("msa/minimum_metadata.msa", (2,)),
        ("msa/ISO_22029_2022_compliance_XY_NCOLUMNS2.msa", (21,)),
        ("bruker/bruker_nano.spx", (4096,)),
        ("jeol/met03.EDS", (2048,)),
        ("hspy/example1_v1.2.hdf5", (21,)),
    ],
)
def test_external_corpus_known_spectra_read(external_outcomes, name, shape):
    assert _outcome_of(external_outcomes[0], name) == ("read", shape)


@pytest.mark.parametrize(
    "name, reason",
    [
        ("digitalmicrograph/1D/test-13.dm3", "complex"),
        ("digitalmicrograph/1D/test-23.dm3", "colour"),
        ("digitalmicrograph/2D/test-1.dm3", "image"),
        ("bruker/Nope.bcf", "rosettasciio cannot read it"),
    ],
)
def test_external_corpus_refusals_say_why(external_outcomes, name, reason):
    kind, message = _outcome_of(external_outcomes[0], name)
    assert kind == "rejected"
    assert reason in message


def test_refusals_are_the_readers_error_type(tmp_path):
    # a file refused for its content raises SpectrumFileError, which callers
    # catching ValueError also see
    path = tmp_path / "empty.xdi"
    path.write_text("")
    with pytest.raises(SpectrumFileError, match=r"empty\.xdi: the first line"):
        read_spectrum(path)
    assert _outcome(path)[0] == "rejected"
    assert _outcome(tmp_path / "absent.msa")[0] == "rejected"  # OSError


# ------------------------------------------------- through the command line
# few iterations: the corpus tests reading and refusing, not the fit
_DECOMPOSE_OPTIONS = ["--max-components", "4", "--max-iter", "30"]
# what CI runs: one file per command and format of the shared data
_HANDFUL = [
    "eels/tio2_core_loss_100kV.dm3",
    "mn3o4_phantom_si.npz",
    "xanes/xdi/Fe/Fe2O3_rt_01.xdi",
    "xanes/athena_mn_standards.npz",
]


def _xdi_element(path):
    """The absorbing element an XDI header names, or None."""
    try:
        return read_spectrum(path).header.get("Element.symbol")
    except (ValueError, OSError):
        return None


def _command(path, references):
    """The arguments of the command that fits the file at ``path``."""
    if path.suffix.lower() == ".xdi":
        element = _xdi_element(path)
        options = ["--references", str(references)]
        options += [] if element is None else ["--element", element]
        return ["estimate", str(path), *options]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            shape = read_file(path).intensity.shape
    except Exception:  # the command must refuse it cleanly: run it to see
        shape = (0,)
    one = len(shape) == 1 or (len(shape) == 2 and shape[0] == 1)
    if one:
        return ["peaks", str(path)]
    return ["decompose", str(path), *_DECOMPOSE_OPTIONS]


def _cli_outcome(argv, out_dir):
    """``("ran" | "rejected" | "crashed", detail)`` of one command."""
    out_dir.mkdir()
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            out = [] if argv[0] == "estimate" else ["--out", str(out_dir)]
            code = cli.main([*argv, *out])
        except SystemExit as exc:  # argparse
            code = exc.code
        except BaseException as exc:  # main must catch everything
            return "crashed", f"{type(exc).__name__} escaped main: {exc}"
    err = stderr.getvalue()
    written = sorted(p.name for p in out_dir.iterdir())
    if "Traceback" in err:
        return "crashed", "a traceback on stderr"
    if code == 0:
        if argv[0] != "estimate" and not written:
            return "crashed", "exit 0 but no result written"
        return "ran", written
    errors = [line for line in err.splitlines() if not line.startswith("warning:")]
    if code != 2:
        return "crashed", f"exit {code}: {err.strip()}"
    if len(errors) != 1:
        return "crashed", f"exit 2 with {len(errors)} lines: {err.strip()}"
    if written:
        return "crashed", f"refused but left {written}"
    return "rejected", errors[0]


def _run_cli(files, references, tmp_path):
    outcomes = {}
    for i, path in enumerate(files):
        outcomes[path] = _cli_outcome(_command(path, references), tmp_path / str(i))
    counts = {kind: 0 for kind in ("ran", "rejected", "crashed")}
    for kind, _ in outcomes.values():
        counts[kind] += 1
    print(f"{len(files)} files through the command line: {counts}")
    return outcomes, counts


def _cli_files(folders):
    """The spectrum files of ``folders`` and their NumPy archives."""
    npz = {p.resolve() for f in folders for p in Path(f).rglob("*.npz")}
    return sorted(set(_spectrum_files(folders)) | npz)


def test_handful_of_shared_files_through_the_commands(shared_data, tmp_path):
    files = [shared_data / name for name in _HANDFUL]
    outcomes, counts = _run_cli(files, shared_data / "xanes", tmp_path)
    crashed = {str(p): o for p, o in outcomes.items() if o[0] == "crashed"}
    assert crashed == {}
    by_name = dict(zip(_HANDFUL, outcomes.values(), strict=True))
    # the measured spectrum, the spectrum image and the XDI query run; an
    # archive of reference groups is no spectrum set and is refused in one line
    for name in _HANDFUL[:3]:
        assert by_name[name][0] == "ran", (name, by_name[name])
    assert by_name["xanes/athena_mn_standards.npz"][0] == "rejected"


@pytest.mark.skipif(
    not os.environ.get("SKSPECTRA_IO_CORPUS"),
    reason="the full corpus runs when SKSPECTRA_IO_CORPUS names its folders",
)
def test_whole_corpus_through_the_commands(shared_data, tmp_path):
    files = _cli_files([shared_data, *_external_folders()])
    outcomes, counts = _run_cli(files, shared_data / "xanes", tmp_path)
    crashed = {str(p): o for p, o in outcomes.items() if o[0] == "crashed"}
    assert crashed == {}
    shared = [p for p in files if shared_data.resolve() in p.parents]
    not_run = {str(p): outcomes[p] for p in shared if outcomes[p][0] != "ran"}
    # every spectrum of the shared data runs but the reference archives
    # (libraries of groups, not spectra) and the XDI queries of an element
    # with fewer references than neighbours (Ce, Co)
    for name, (_, message) in not_run.items():
        assert "athena_" in name or "fewer than --n-neighbors" in message, name
