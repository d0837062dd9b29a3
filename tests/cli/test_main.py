import subprocess
import sys

import pytest

import skspectra
from skspectra import cli
from skspectra.cli import _demo_command


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


def test_every_demo_part_has_a_run_function():
    for name, module in _demo_command._demo_modules():
        assert callable(module.run_demo), name
        assert module.__doc__, f"{name}._demo needs a one-line docstring title"


def test_python_dash_m_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "skspectra", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == f"skspectra {skspectra.__version__}"
