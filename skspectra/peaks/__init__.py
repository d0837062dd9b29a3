"""Peak decomposition of spectra: Lorentzian peaks by ESPRIT."""

from skspectra.peaks._esprit import ESPRITPeaks, Peak

__all__ = ["ESPRITPeaks", "Peak"]
