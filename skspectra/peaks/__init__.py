"""Peak decomposition of spectra: Lorentzian peaks by ESPRIT."""

from skspectra.peaks._esprit import EdgeModel, EdgeStep, ESPRITPeaks, Peak

__all__ = ["ESPRITPeaks", "EdgeModel", "EdgeStep", "Peak"]
