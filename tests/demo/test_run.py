"""Discovery and running of the demo's parts."""

import pytest

import skspectra.demo
from skspectra.demo import PARTS, parts, run


def test_every_demo_part_has_a_run_function():
    for name, module in parts():
        assert callable(module.run_demo), name
        assert module.__doc__, f"demo part {name} needs a one-line docstring title"


def test_parts_run_in_the_documented_order():
    names = [name for name, _ in parts()]
    assert names[: len(PARTS)] == list(PARTS)
    assert names[len(PARTS) :] == sorted(names[len(PARTS) :])


def test_unknown_part_and_missing_folder(tmp_path, capsys):
    assert run(only=["no-such-part"]) == 2
    err = capsys.readouterr().err
    assert "no demo named ['no-such-part']" in err and "metrics" in err
    assert run(data_dir=tmp_path / "absent") == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_failing_part_is_reported_and_fails_the_run(monkeypatch, capsys):
    module = dict(parts())["preprocessing"]

    def broken(report, *, data_dir, random_state):
        report(f"seed {random_state}")
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(module, "run_demo", broken)
    assert run(only=["preprocessing"], seed=3) == 1
    out = capsys.readouterr().out
    assert f"== preprocessing: {module.__doc__.splitlines()[0]}" in out
    assert "seed 3" in out
    assert "FAILED: RuntimeError: broken on purpose" in out
    assert "0 of 1 demos ran" in out


@pytest.mark.parametrize("name", skspectra.demo.__all__)
def test_public_names_resolve(name):
    assert getattr(skspectra.demo, name) is not None
