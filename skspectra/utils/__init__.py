"""Validation, estimator discovery and spectrum-image helpers."""

from skspectra.utils._image import fold, unfold
from skspectra.utils.discovery import all_estimators
from skspectra.utils.validation import check_energy, check_same_channels

__all__ = ["all_estimators", "check_energy", "check_same_channels", "fold", "unfold"]
