"""Every public docstring validated against its signature with numpydoc.

The public objects are the names in the ``__all__`` of each room of the
package, and the public methods of the public classes that skspectra defines
(those inherited from private skspectra bases included).  Some numpydoc
checks are not house rules and are left out, each with the reason.
"""

import importlib
import inspect

import pytest
from numpydoc.validate import validate
from sklearn.base import BaseEstimator

import skspectra

# numpydoc checks that skspectra does not follow, each with its reason
NOT_HOUSE_RULES = {
    "ES01": "a one-line summary is enough for many functions",
    "SA01": "See Also sections are written where a related name helps",
    "SA04": "a See Also entry may be a bare name",
    "RT02": "a single return value is written 'name : type', as scikit-learn does",
    "EX01": (
        "examples are required of estimators and public functions; methods, "
        "result types, exceptions and the demo's own parts need none"
    ),
}


def _defined_here(obj):
    return getattr(obj, "__module__", "").startswith("skspectra")


def _public_methods(cls):
    for name, member in inspect.getmembers(cls):
        if name.startswith("_"):
            continue
        if (inspect.isfunction(member) or inspect.ismethod(member)) and (
            _defined_here(member)
        ):
            yield name


def _public_objects():
    for room in skspectra._SUBPACKAGES + ["demo"]:
        module = importlib.import_module(f"skspectra.{room}")
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            yield f"skspectra.{room}.{name}", obj, False
            if inspect.isclass(obj):
                for method in _public_methods(obj):
                    yield f"skspectra.{room}.{name}.{method}", obj, True


OBJECTS = sorted({(name, is_method) for name, _, is_method in _public_objects()})


def _object(name):
    module, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def _needs_example(name):
    obj = _object(name)
    if name.startswith("skspectra.demo."):
        return False
    if inspect.isclass(obj):
        return issubclass(obj, BaseEstimator)
    return inspect.isfunction(obj)


def _is_named_tuple(obj):
    return inspect.isclass(obj) and issubclass(obj, tuple) and hasattr(obj, "_fields")


@pytest.mark.parametrize("name, is_method", OBJECTS, ids=[n for n, _ in OBJECTS])
def test_docstring_follows_numpydoc(name, is_method):
    ignore = set(NOT_HOUSE_RULES)
    if not is_method and _needs_example(name):
        ignore.discard("EX01")
    if not is_method and _is_named_tuple(_object(name)):
        # a named tuple documents its fields as Attributes, not Parameters
        ignore.add("PR01")
    errors = [
        f"{code}: {message}"
        for code, message in validate(name)["errors"]
        if code not in ignore
    ]
    assert not errors, "\n".join([name, *errors])


def test_objects_found():
    names = {name for name, _ in OBJECTS}
    assert "skspectra.decomposition.SparseNMF.fit_transform" in names
    assert "skspectra.neighbors.SimilarityKNNEstimator.predict" in names
    assert len(names) > 100
