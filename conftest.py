"""Collection rules for the doctests inside the package."""

import importlib.util

import pytest

# modules whose examples need an optional dependency: name -> module needed
_DOCTEST_NEEDS = {
    "hyperspy.py": "hyperspy",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if not isinstance(item, pytest.DoctestItem):
            continue
        needed = _DOCTEST_NEEDS.get(item.path.name)
        if needed and importlib.util.find_spec(needed) is None:
            item.add_marker(
                pytest.mark.skip(reason=f"this example needs {needed} installed")
            )
