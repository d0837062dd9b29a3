import ast
import importlib
from pathlib import Path

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


# -- the rooms of the package and what they may import ------------------------

_PACKAGE_DIR = Path(skspectra.__file__).parent
# rooms whose private modules every room may use
_SHARED_PRIVATE = {"utils"}
# rooms that use the library and that no library room may import
_USERS = {"demo", "cli", "__main__"}
# (importing module, imported private module) pairs that break the rule today,
# each with its reason; a pair that no longer occurs must be removed here
_KNOWN_PRIVATE_IMPORTS = {
    ("skspectra.peaks._esprit", "skspectra.datasets._peaks"): (
        "ESPRITPeaks takes its Lorentzian line shape from the module of the "
        "synthetic peak generator; the public skspectra.datasets.lorentzian "
        "is the same function"
    ),
}


def _module_name(path, root):
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path, root=_PACKAGE_DIR):
    """Yield every name ``path`` imports, resolved to an absolute dotted name.

    ``from a.b import c`` yields ``a.b`` and ``a.b.c`` (``c`` may be a module
    or a name in ``a.b``); imports inside functions count too.
    """
    module = _module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _room(name):
    """The room of a dotted name: the subpackage or top-level module."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else None


def _package_imports():
    for path in sorted(_PACKAGE_DIR.rglob("*.py")):
        importer = _module_name(path, _PACKAGE_DIR)
        for name in _imports(path):
            if name.split(".")[0] == "skspectra":
                yield importer, name


def _private_module(name):
    """``skspectra.A._x`` for a name inside a private part, else None."""
    parts = name.split(".")
    for i, part in enumerate(parts[1:], start=1):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[: i + 1])
    return None


def _cross_room_private_imports():
    found = set()
    for importer, name in _package_imports():
        private = _private_module(name)
        if private is None or _room(private) in _SHARED_PRIVATE:
            continue
        if _room(private) != _room(importer) and not (
            _room(importer) in _USERS and _room(private) in _USERS - {"demo"}
        ):
            found.add((importer, private))
    return found


def test_no_private_imports_across_rooms():
    # a room (subpackage) offers its public names; its private modules may
    # change without notice, so another room must not import them
    found = _cross_room_private_imports()
    new = found - set(_KNOWN_PRIVATE_IMPORTS)
    assert not new, "private modules of another room imported:\n" + "\n".join(
        f"  {importer} imports {private}" for importer, private in sorted(new)
    )
    stale = set(_KNOWN_PRIVATE_IMPORTS) - found
    assert not stale, f"fixed, remove from _KNOWN_PRIVATE_IMPORTS: {sorted(stale)}"


def test_library_rooms_import_neither_the_demo_nor_the_command_line():
    bad = sorted(
        (importer, name)
        for importer, name in _package_imports()
        if _room(name) in _USERS and _room(importer) not in _USERS
    )
    assert not bad, bad


# what each room may import, as doc/developers.rst lists it; the data flow
# one way: utils at the bottom, the estimator rooms above it, the figures,
# the demo and the command line on top
ALLOWED_IMPORTS = {
    "utils": set(),
    "metrics": {"utils"},
    "preprocessing": {"utils"},
    "io": {"utils"},
    "pipeline": set(),
    # NComponentsResult.plot is a shortcut to skspectra.plotting.plot_scree
    "decomposition": {"plotting", "utils"},
    "datasets": {"io", "preprocessing", "utils"},
    "peaks": {"datasets", "utils"},
    "neighbors": {"metrics", "utils"},
    # SpectralDendrogramTree.plot is a shortcut to skspectra.plotting
    "tree": {"metrics", "plotting", "utils"},
    "neural_network": {"preprocessing", "utils"},
    "search": {"metrics", "preprocessing", "utils"},
    "hyperspy": {"decomposition", "preprocessing", "utils"},
    "plotting": {
        "datasets",
        "decomposition",
        "io",
        "metrics",
        "neighbors",
        "peaks",
        "preprocessing",
        "tree",
        "utils",
    },
}
# the demo and the command line may use every library room
ALLOWED_IMPORTS["demo"] = set(ALLOWED_IMPORTS) | {"search"}
ALLOWED_IMPORTS["cli"] = ALLOWED_IMPORTS["demo"] | {"demo"}
ALLOWED_IMPORTS["__main__"] = {"cli"}


def test_rooms_import_only_what_the_package_map_allows():
    bad = sorted(
        (importer, name)
        for importer, name in _package_imports()
        if _room(name) not in (None, _room(importer))
        and _room(name) not in ALLOWED_IMPORTS.get(_room(importer), set())
    )
    assert not bad, "imports the package map does not allow:\n" + "\n".join(
        f"  {importer} imports {name}" for importer, name in bad
    )


def test_every_room_is_in_the_package_map():
    rooms = {
        path.stem if path.suffix == ".py" else path.name
        for path in _PACKAGE_DIR.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path / "__init__.py").exists()
    }
    assert rooms == set(ALLOWED_IMPORTS), rooms ^ set(ALLOWED_IMPORTS)
    page = (_PACKAGE_DIR.parent / "doc" / "developers.rst").read_text("utf-8")
    missing = [room for room in rooms if f"``{room}``" not in page]
    assert not missing, f"doc/developers.rst does not describe {missing}"


def test_preprocessing_does_not_import_datasets():
    # datasets loads and resamples with preprocessing, never the other way
    bad = sorted(
        (importer, name)
        for importer, name in _package_imports()
        if _room(importer) == "preprocessing" and _room(name) == "datasets"
    )
    assert not bad, bad


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from skspectra.neighbors._search import f", "skspectra.neighbors._search"),
        ("from skspectra.neighbors import _search", "skspectra.neighbors._search"),
        ("import skspectra.tree._rules", "skspectra.tree._rules"),
        ("from .._base import f", "skspectra.metrics._base"),
        ("from ...datasets._peaks import f", "skspectra.datasets._peaks"),
        ("def f():\n    from skspectra.io._xdi import f", "skspectra.io._xdi"),
    ],
)
def test_import_scan_sees_every_form(tmp_path, source, expected):
    # the scan must not miss an import because of how it is written
    package = tmp_path / "skspectra" / "metrics" / "sub"
    package.mkdir(parents=True)
    path = package / "_mod.py"
    path.write_text(source + "\n", encoding="utf-8")
    found = {_private_module(n) for n in _imports(path, tmp_path / "skspectra")}
    assert expected in found
