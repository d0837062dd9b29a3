"""Shared fixtures: the real-data folder and hypothesis profiles."""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from skspectra.datasets import find_data_dir

settings.register_profile(
    "default",
    deadline=None,
    max_examples=30,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow],
)
# in CI the examples are derived from the test names, so a run is repeatable;
# locally they are random, to keep finding new cases
settings.register_profile(
    "ci",
    deadline=None,
    max_examples=30,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
_default = "ci" if os.environ.get("CI") else "default"
settings.load_profile(os.environ.get("SKSPECTRA_HYPOTHESIS_PROFILE", _default))

_PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data():
    """Folder of real measured spectra (``../shared/data`` beside the project).

    Tests that need it are skipped, with the reason, when it is absent, so that
    ``pytest`` on a bare checkout still passes.
    """
    path = find_data_dir(extra=[_PROJECT_ROOT.parent / "shared" / "data"])
    if path is None:
        pytest.skip(
            "real spectra not found: set SKSPECTRA_DATA or place the shared "
            "data folder at ../shared/data beside the project"
        )
    return path
