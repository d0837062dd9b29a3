"""Peaks of spectra: Lorentzian peak decomposition by ESPRIT, peaks named by
the X-ray lines or absorption edges near them, and a basis of EDS spectra
built from those lines."""

from skspectra.peaks._eds_basis import eds_basis
from skspectra.peaks._esprit import EdgeModel, EdgeStep, ESPRITPeaks, Peak
from skspectra.peaks._lines import (
    LinePeak,
    XrayLine,
    eds_resolution,
    find_line_peaks,
    identify_lines,
    xray_lines,
)

__all__ = [
    "ESPRITPeaks",
    "EdgeModel",
    "EdgeStep",
    "LinePeak",
    "Peak",
    "XrayLine",
    "eds_basis",
    "eds_resolution",
    "find_line_peaks",
    "identify_lines",
    "xray_lines",
]
