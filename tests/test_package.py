import importlib

import pytest

import skspectra


def test_version_is_a_string():
    assert isinstance(skspectra.__version__, str)
    assert skspectra.__version__.count(".") >= 2


def test_lazy_public_names_resolve():
    for name in skspectra.__all__:
        assert getattr(skspectra, name) is not None


def test_unknown_attribute():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        skspectra.nope  # noqa: B018


def test_core_import_needs_no_optional_extra():
    # importing every public module must not pull in an optional dependency
    import subprocess
    import sys

    code = (
        "import sys, skspectra\n"
        "from skspectra.utils.discovery import all_estimators\n"
        "all_estimators()\n"
        "bad = [m for m in ('matplotlib', 'dask', 'distributed', "
        "'hyperspy', 'rsciio') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("name", skspectra._SUBPACKAGES)
def test_subpackages_listed_exist(name):
    assert importlib.util.find_spec(f"skspectra.{name}") is not None
    assert getattr(skspectra, name).__name__ == f"skspectra.{name}"


def test_every_estimator_is_exported_at_the_top_level():
    from skspectra.utils.discovery import all_estimators

    names = {name for name, _ in all_estimators()}
    missing = names - set(skspectra.__all__)
    assert not missing, missing
