"""
Lorentzian peaks without initial guesses
========================================

:class:`~skspectra.peaks.ESPRITPeaks` finds the number of peaks and their
positions, half-widths and areas from the Fourier transform of a spectrum,
without starting values. Here: a synthetic spectrum of overlapping peaks with
noise, and its decomposition.
"""

# %%
from skspectra.datasets import make_lorentzian_peaks
from skspectra.peaks import ESPRITPeaks
from skspectra.plotting import plot_peaks

X, truth = make_lorentzian_peaks(1, n_channels=512, n_peaks=5, snr=100, random_state=3)
energy = truth.energy
peaks = ESPRITPeaks(energy=energy).fit(X).decompose(X[0])
for p in peaks:
    print(f"position {p.position:8.3f}  HWHM {p.width:6.3f}  area {p.area:8.3f}")

# %%
fig = plot_peaks(energy, X[0], peaks)
