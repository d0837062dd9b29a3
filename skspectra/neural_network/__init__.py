"""Neural networks from spectra to material properties."""

from skspectra.neural_network._regressor import SpectrumPropertyRegressor

__all__ = ["SpectrumPropertyRegressor"]
