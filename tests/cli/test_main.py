import subprocess
import sys

import pytest

import skspectra
from skspectra import cli


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert skspectra.__version__ in capsys.readouterr().out


def test_help_lists_demo(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "demo" in capsys.readouterr().out


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 0
    assert "usage: skspectra" in capsys.readouterr().out


def test_demo_unknown_part(capsys):
    assert cli.main(["demo", "--only", "no-such-part"]) == 2
    assert "no demo named" in capsys.readouterr().err


def test_demo_missing_data_dir(tmp_path, capsys):
    assert cli.main(["demo", "--data-dir", str(tmp_path / "absent")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_python_dash_m_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "skspectra", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == f"skspectra {skspectra.__version__}"


def test_unexpected_errors_are_one_line_unless_asked(tmp_path, monkeypatch, capsys):
    import numpy as np

    import skspectra.plotting

    path = tmp_path / "x.npy"
    np.save(path, np.exp(-(((np.arange(256.0) - 100) / 5) ** 2)))
    monkeypatch.setattr(skspectra.plotting, "plot_peaks", lambda *a, **k: 1 / 0)
    assert cli.main(["peaks", str(path), "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ZeroDivisionError" in err
    assert "--traceback" in err
    with pytest.raises(ZeroDivisionError):
        cli.main(["--traceback", "peaks", str(path), "--out", str(tmp_path)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npy"]


def test_complex_or_coloured_data_is_refused(tmp_path, capsys):
    import numpy as np

    path = tmp_path / "z.npy"
    np.save(path, np.ones(64, dtype=complex))
    assert cli.main(["peaks", str(path), "--out", str(tmp_path)]) == 2
    assert "complex" in capsys.readouterr().err
