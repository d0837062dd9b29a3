"""
Lorentzian peaks without initial guesses
========================================

:class:`~skspectra.peaks.ESPRITPeaks` finds the number of peaks and their
positions, half-widths and areas from the Fourier transform of a spectrum,
without starting values. Here: a synthetic spectrum of overlapping peaks with
noise, and its decomposition; then a synthetic L2,3 edge, white lines on two
edge steps, decomposed with ``edge_steps=2``.
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

# %%
# White lines on edge steps: the steps are fitted with the peaks, and every
# value comes with its standard error.
from skspectra.datasets import make_edge_peaks

X, truth = make_edge_peaks(1, 1024, lines_per_edge=2, snr=100, random_state=0)
est = ESPRITPeaks(edge_steps=2).fit(X)
model = est.decompose(X[0], full=True)
for p in model.peaks:
    print(f"position {p.position:8.2f} +- {p.position_error:.2f} channels")
for s in model.steps:
    print(f"step at {s.position:8.2f}, height {s.height:.3f} +- {s.height_error:.3f}")

# %%
fig = plot_peaks(
    range(X.shape[1]), X[0], model.peaks, steps=model.steps, constant=model.constant
)
