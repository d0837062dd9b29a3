"""What a user of the command line relies on beyond the answers: files that
respect the umask and are written as a complete set or not at all, one-line
errors that name the flags, help with defaults, and a fast start."""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from skspectra import cli
from skspectra.cli import _estimate, _interpret

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def run_subprocess(*argv, cwd=None, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "skspectra", *map(str, argv)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        **kwargs,
    )


@pytest.fixture
def spectrum_file(tmp_path):
    from skspectra.datasets import lorentzian

    e = np.linspace(400.0, 500.0, 512)
    y = lorentzian(e, [430.0, 460.0], [1.5, 2.0], [10.0, 20.0])
    path = tmp_path / "x.npz"
    np.savez(path, X=y[None], energy_eV=e)
    return path


def _names(folder):
    return sorted(p.name for p in Path(folder).iterdir())


# --------------------------------------------------------------- the files
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_result_files_respect_the_umask(capsys, spectrum_file, tmp_path, umask):
    out = tmp_path / "out"
    previous = os.umask(umask)
    try:
        code, _, err = run(capsys, "peaks", spectrum_file, "--out", out)
    finally:
        os.umask(previous)
    assert code == 0, err
    for name in ("x_npz_peaks.csv", "x_npz_peaks.png"):
        assert (out / name).stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_failing_figure_leaves_nothing(capsys, spectrum_file, tmp_path, monkeypatch):
    import skspectra.plotting

    def broken(*args, **kwargs):
        raise RuntimeError("the figure could not be drawn")

    monkeypatch.setattr(skspectra.plotting, "plot_peaks", broken)
    out = tmp_path / "out"
    code, _, err = run(capsys, "peaks", spectrum_file, "--out", out)
    assert code == 1
    assert "the figure could not be drawn" in err and "Traceback" not in err
    assert err.count("\n") == 1
    assert _names(out) == []  # no CSV without its figure, no temporary


def test_a_failing_figure_keeps_the_previous_results(
    capsys, spectrum_file, tmp_path, monkeypatch
):
    import skspectra.plotting

    out = tmp_path / "out"
    assert run(capsys, "peaks", spectrum_file, "--out", out)[0] == 0
    before = {name: (out / name).read_bytes() for name in _names(out)}
    monkeypatch.setattr(skspectra.plotting, "plot_peaks", lambda *a, **k: 1 / 0)
    np.savez(
        spectrum_file,
        X=np.load(spectrum_file)["X"] * 2,
        energy_eV=np.load(spectrum_file)["energy_eV"],
    )
    assert run(capsys, "peaks", spectrum_file, "--out", out)[0] == 1
    assert {name: (out / name).read_bytes() for name in _names(out)} == before


def test_no_figure_removes_the_figure_of_an_earlier_run(
    capsys, spectrum_file, tmp_path
):
    out = tmp_path / "out"
    assert run(capsys, "peaks", spectrum_file, "--out", out)[0] == 0
    assert "x_npz_peaks.png" in _names(out)
    code, _, err = run(capsys, "peaks", spectrum_file, "--out", out, "--no-figure")
    assert code == 0
    assert _names(out) == ["x_npz_peaks.csv"]
    assert "removed" in err


def test_temporaries_of_a_killed_run_are_removed(capsys, spectrum_file, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    # left by a process that no longer exists (beyond Linux's largest pid)
    dead = out / ".x_npz_peaks.csv.99999999-0a1b2c3d.part"
    dead.write_text("half a tab")
    # a run in progress elsewhere: this process is alive
    alive = out / f".x_npz_peaks.png.{os.getpid()}-0a1b2c3d.part"
    alive.write_text("being written")
    assert run(capsys, "peaks", spectrum_file, "--out", out)[0] == 0
    assert not dead.exists() and alive.exists()
    alive.unlink()
    assert _names(out) == ["x_npz_peaks.csv", "x_npz_peaks.png"]


def test_inputs_that_differ_by_extension_do_not_overwrite(
    capsys, spectrum_file, tmp_path
):
    npy = tmp_path / "x.npy"
    np.save(npy, np.load(spectrum_file)["X"][0])
    out = tmp_path / "out"
    for path in (spectrum_file, npy):
        assert run(capsys, "peaks", path, "--out", out, "--no-figure")[0] == 0
    assert _names(out) == ["x_npy_peaks.csv", "x_npz_peaks.csv"]


def test_outputs_carry_the_energy_unit(capsys, tmp_path, spectrum_file):
    from skspectra.datasets import make_spectrum_image

    X, truth = make_spectrum_image(
        2, shape=(6, 6), n_channels=32, counts_per_pixel=300, random_state=0
    )
    image = tmp_path / "image.npz"
    np.savez(image, X=X, energy_keV=truth.energy)
    out = tmp_path / "out"
    code, _, err = run(
        capsys, "decompose", image, "--out", out, "--no-figure", "--quiet"
    )
    assert code == 0, err
    assert (out / "image_npz_components.csv").read_text().startswith("energy_keV,")
    with np.load(out / "image_npz_decomposition.npz") as result:
        assert str(result["energy_units"]) == "keV"
    run(capsys, "peaks", spectrum_file, "--out", out, "--no-figure")
    header = (out / "x_npz_peaks.csv").read_text().splitlines()[0]
    assert header == (
        "position_eV,hwhm_eV,area,position_error_eV,hwhm_error_eV,area_error"
    )


def test_out_folder_is_created(capsys, spectrum_file, tmp_path):
    out = tmp_path / "a" / "b"
    assert run(capsys, "peaks", spectrum_file, "--out", out, "--no-figure")[0] == 0
    assert _names(out) == ["x_npz_peaks.csv"]


# --------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "argv, flag",
    [
        (
            ["estimate", "--references", "{refs}", "--metric", "bogus", "{q}"],
            "--metric",
        ),
        (["peaks", "{q}", "--max-peaks", "many"], "--max-peaks"),
        (["peaks", "{q}", "--max-peaks", "0"], "--max-peaks"),
        (["decompose", "{q}", "--model", "gaussian"], "--model"),
        (["interpret", "{q}", "--descriptors", "{q}", "--linkage", "x"], "--linkage"),
        (["peaks", "{q}", "--background", "1"], "--background"),
    ],
)
def test_bad_flags_exit_2_with_one_line_naming_the_flag(
    tmp_path, spectrum_file, argv, flag
):
    names = {"refs": tmp_path, "q": spectrum_file}
    proc = run_subprocess(*[a.format(**names) for a in argv], cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert flag in proc.stderr


def test_text_target_and_corrupt_files_exit_2(shared_data, tmp_path):
    xanes = shared_data / "xanes"
    query = xanes / "xdi" / "Mn" / "MnO2_rt_01.xdi"
    proc = run_subprocess(
        "estimate",
        "--references",
        xanes,
        "--element",
        "Mn",
        "--target",
        "compound",
        query,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--target compound" in proc.stderr and "numeric" in proc.stderr
    for name, content in [
        ("broken.bcf", os.urandom(4096)),
        ("broken.dm3", b"not a DigitalMicrograph file"),
        ("broken.msa", b"#FORMAT : EMSA/MAS\n#SPECTRUM :\n1, a\n"),
        ("broken.npz", b"PK\x03\x04 truncated"),
    ]:
        path = tmp_path / name
        path.write_bytes(content)
        proc = run_subprocess("peaks", path, "--out", tmp_path / "out")
        assert proc.returncode == 2, (name, proc.stderr)
        assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
        assert name in proc.stderr
        assert not (tmp_path / "out").exists() or _names(tmp_path / "out") == []


def test_estimator_errors_name_the_flags(capsys, tmp_path):
    image = tmp_path / "signed.npz"
    rng = np.random.default_rng(0)
    np.savez(image, X=rng.normal(size=(4, 4, 16)))
    code, _, err = run(capsys, "decompose", image, "--no-figure", "--out", tmp_path)
    assert code == 2
    assert "--model sparse --clip-negative" in err and "clip_negative" not in err
    code, _, err = run(
        capsys, "decompose", image, "--model", "sparse", "--out", tmp_path
    )
    assert code == 2 and "--clip-negative" in err and "clip_negative" not in err
    code, out, err = run(
        capsys,
        "decompose",
        image,
        "--model",
        "sparse",
        "--clip-negative",
        "--n-components",
        "1",
        "--out",
        tmp_path,
        "--no-figure",
        "--quiet",
    )
    assert code == 0, err
    assert "found 1 component in" in out


def test_flag_message_rewrites_parameter_names():
    from skspectra.cli._common import flag_message
    from skspectra.cli._decompose import FLAGS

    exc = ValueError(
        "Negative values in data passed to PoissonNMF. Use raw counts, or "
        "SparseNMF(clip_negative=True); n_components=12 is larger than 4."
    )
    text = flag_message(exc, FLAGS)
    assert "--model sparse --clip-negative;" in text
    assert "--n-components 12 is larger" in text
    assert "_" not in text


# --------------------------------------------------------------- help
def _subparsers():
    parser = cli.build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sub.choices


@pytest.mark.parametrize(
    "command", ["demo", "decompose", "peaks", "estimate", "interpret"]
)
def test_every_option_has_help_with_its_default(command):
    for action in _subparsers()[command]._actions:
        if isinstance(action, argparse._HelpAction) or not action.option_strings:
            continue
        assert action.help, (command, action.dest)
        if not action.required:
            assert "default" in action.help, (command, action.option_strings)


def test_metric_and_linkage_lists_match_the_library():
    from skspectra.metrics import METRIC_NAMES
    from skspectra.tree._dendrogram_tree import LINKAGES

    assert tuple(_estimate.METRICS) == METRIC_NAMES
    assert "cosine" in _estimate.METRICS and "cos" not in _estimate.METRICS
    assert _interpret.LINKAGES == LINKAGES
    assert _estimate.metric_name("Jensen-Shannon") == "jensen_shannon"


# --------------------------------------------------------------- start-up
def test_a_missing_file_is_reported_before_the_heavy_imports():
    code = (
        "import sys\n"
        "from skspectra.cli import main\n"
        "assert main(['peaks', 'missing.msa']) == 2\n"
        "heavy = [m for m in ('numpy', 'sklearn', 'scipy', 'matplotlib') "
        "if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"missing\.msa: no such file", proc.stderr)


def test_an_unwritable_out_folder_is_one_line(
    capsys, spectrum_file, tmp_path, monkeypatch
):
    import skspectra.cli._atomic as atomic

    def refuse(path, flags, mode=0o777):
        raise PermissionError(13, "Permission denied", str(path))

    # as a folder the user may not write to answers (root may write anywhere)
    monkeypatch.setattr(atomic.os, "open", refuse)
    code, _, err = run(capsys, "peaks", spectrum_file, "--out", tmp_path / "out")
    assert code == 2 and err.count("\n") == 1
    assert "--out" in err and "Permission denied" in err
    assert _names(tmp_path / "out") == []
