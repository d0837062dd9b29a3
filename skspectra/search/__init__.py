"""Structure search: kriging with transfer learning and Monte Carlo tree search.

:class:`KrigingSearch` finds the lowest-energy candidate of a finite set
(e.g. the rigid-body translations of a grain boundary) with as few energy
calculations as possible, by Gaussian-process Bayesian optimisation;
``prior_tasks`` transfers what related boundaries taught, through
:class:`TransferGaussianProcessRegressor`.  :class:`MonteCarloTreeSearch`
chooses which sites of a boundary hold solutes.
:func:`make_spectral_objective` turns a spectrum simulator and a measured
spectrum into an objective for either search.  The two searches share
``suggest()``, ``observe(items, values)`` and ``run(objective, n_trials)``.
"""

from skspectra.search._gp import TransferGaussianProcessRegressor
from skspectra.search._kriging import KrigingSearch, expected_improvement
from skspectra.search._mcts import MonteCarloTreeSearch
from skspectra.search._objective import make_spectral_objective
from skspectra.search._synthetic import (
    make_grain_boundary_landscape,
    make_segregation_model,
)

__all__ = [
    "KrigingSearch",
    "MonteCarloTreeSearch",
    "TransferGaussianProcessRegressor",
    "expected_improvement",
    "make_grain_boundary_landscape",
    "make_segregation_model",
    "make_spectral_objective",
]
