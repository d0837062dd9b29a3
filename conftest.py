"""Collection rules for the doctests inside the package."""

import importlib.util

import pytest

# modules whose examples need optional dependencies: name -> modules needed
_DOCTEST_NEEDS = {
    "hyperspy.py": ("hyperspy", "exspy"),
    "_lines.py": ("xraydb",),
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if not isinstance(item, pytest.DoctestItem):
            continue
        missing = [
            name
            for name in _DOCTEST_NEEDS.get(item.path.name, ())
            if importlib.util.find_spec(name) is None
        ]
        if missing:
            item.add_marker(
                pytest.mark.skip(
                    reason=f"this example needs {', '.join(missing)} installed"
                )
            )
