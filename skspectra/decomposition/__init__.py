"""Non-negative matrix factorisation of spectrum images."""

from skspectra.decomposition._nmf import PoissonNMF, SparseNMF
from skspectra.decomposition._noise import suggest_noise_model
from skspectra.decomposition._select import NComponentsResult, select_n_components
from skspectra.decomposition._spatial import half_dose_weight
from skspectra.decomposition._split import binomial_split
from skspectra.decomposition._stability import (
    ComponentStability,
    component_stability,
    match_components,
)

__all__ = [
    "ComponentStability",
    "NComponentsResult",
    "PoissonNMF",
    "SparseNMF",
    "binomial_split",
    "component_stability",
    "half_dose_weight",
    "match_components",
    "select_n_components",
    "suggest_noise_model",
]
