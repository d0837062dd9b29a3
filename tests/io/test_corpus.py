"""Every spectrum file of a corpus reads, or is refused with a one-line message.

Two corpora: the real spectra of the shared data folder (XDI, MSA, DM3), which
must all read, and the test data that rosettasciio and exspy ship, where
images, complex data and broken files must be refused cleanly.  The second is
found in the folders named by ``SKSPECTRA_IO_CORPUS`` (separated like
``PATH``) and in the installed packages, when they ship their test data.
"""

import importlib.util
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

from skspectra.io import SUPPORTED_EXTENSIONS, SpectrumFileError, read_spectrum

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
