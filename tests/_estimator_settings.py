"""Settings for the common estimator checks, in one place.

``INIT_PARAMS`` gives each estimator class constructor arguments that keep
scikit-learn's checks fast (few iterations, small ensembles).
``EXPECTED_FAILED_CHECKS`` lists, by class, every check an estimator is known
to fail, each with the reason; ``tests/test_common.py`` runs them with
``xfail_strict=True``, so an excuse that no longer applies fails the suite,
and checks that every key is a discovered estimator and every excused check
exists, so a renamed estimator or check cannot leave a stale entry behind.
Keep one block per estimator, separated by blank lines.
"""

from skspectra.decomposition import PoissonNMF, SparseNMF
from skspectra.metrics import MetricEmbedding
from skspectra.neighbors import SimilarityKNNClassifier, SimilarityKNNEstimator
from skspectra.neural_network import SpectrumPropertyRegressor
from skspectra.peaks import ESPRITPeaks
from skspectra.pipeline import SpectralPipeline
from skspectra.preprocessing import (
    EdgeAligner,
    EnergyCrop,
    PoissonNoise,
    PowerLawBackground,
    RandomBackground,
    RandomBroadening,
    RandomShift,
    SavitzkyGolay,
    SpatialBinning,
    SpectrumNormalizer,
    XANESNormalizer,
)
from skspectra.search import TransferGaussianProcessRegressor
from skspectra.tree import SpectralDendrogramTree
from skspectra.utils.discovery import all_estimators

INIT_PARAMS = {
    # skspectra.metrics
    MetricEmbedding: {},
    # skspectra.decomposition
    PoissonNMF: {"n_components": 2, "max_iter": 50, "random_state": 0},
    SparseNMF: {"n_components": 2, "max_iter": 50, "random_state": 0},
    # skspectra.peaks
    ESPRITPeaks: {"max_peaks": 3},
    # skspectra.neighbors
    SimilarityKNNClassifier: {},
    SimilarityKNNEstimator: {},
    # skspectra.tree
    SpectralDendrogramTree: {},
    # skspectra.neural_network
    SpectrumPropertyRegressor: {
        "hidden_layer_sizes": (16,),
        "n_estimators": 2,
        "max_iter": 60,
        "batch_size": 32,
        "learning_rate": 0.01,
        "random_state": 0,
    },
    # skspectra.search
    TransferGaussianProcessRegressor: {},
    # skspectra.pipeline: a crop and a spectrum transformer, so that the
    # checks fit a pipeline that fills in a step's energy
    SpectralPipeline: {
        "steps": [("crop", EnergyCrop()), ("normalizer", SpectrumNormalizer())]
    },
    # skspectra.preprocessing
    EdgeAligner: {},
    EnergyCrop: {},
    # generic check data (standard-normal columns) have windows whose counts
    # sum to zero or less, where no exponent can be fitted and the transformer
    # refuses; a fixed exponent (amplitude by linear least squares) runs on any
    # data, and the fitted-exponent paths are tested in tests/preprocessing
    PowerLawBackground: {"exponent": 3.0},
    SavitzkyGolay: {"window_length": 3, "polyorder": 1, "mode": "nearest"},
    SpatialBinning: {},
    SpectrumNormalizer: {},
    # generic check data have no absorption edge, so the fitted edge step is
    # often negative and the transformer refuses; with a given edge step every
    # other part (E0, pre-edge line, post-edge fit) runs as by default, and the
    # fitted step is tested on real spectra in tests/preprocessing
    XANESNormalizer: {"edge_step": 1.0},
    # the random perturbations: fixed seeds, so that a transform can be
    # repeated; the default widths fit the channel index of the check data
    PoissonNoise: {"random_state": 0},
    RandomBackground: {"random_state": 0},
    RandomBroadening: {"random_state": 0},
    RandomShift: {"random_state": 0},
}

# why a random perturbation fails the checks that compare batches
_BATCH_DRAWS = (
    "the perturbations are drawn for the batch in its order, one spectrum "
    "after the other, so a spectrum of a subset or of a reordered batch gets "
    "other draws than within the whole batch"
)

# why a pipeline fails the checks that its parameters are left untouched
_PIPELINE_STEPS = (
    "a pipeline fits the estimators of its steps parameter in place (and puts "
    "the fitted clones there when it caches or fills in an energy), so the "
    "steps after fit are fitted estimators; scikit-learn's own Pipeline fails "
    "these two checks for the same reason"
)

# why spatial binning fails the checks that expect one output row per input
# row or rows that are independent of each other
_BINNING = (
    "binning sums blocks of neighbouring pixels, so transform returns one row "
    "per block, not per input row, and takes only X of the grid seen in fit"
)

EXPECTED_FAILED_CHECKS = {
    # EstimatorClass: {"check_name": "why it cannot pass"},
    MetricEmbedding: {
        "check_estimators_dtypes": (
            "the check casts 3 * uniform(0, 1) data to integers, which gives an "
            "all-zero row; the cosine distance (the default metric) is undefined "
            "for an all-zero spectrum and the transformer raises a ValueError "
            "saying so instead of returning an arbitrary embedding"
        ),
    },
    SpectralPipeline: {
        "check_estimators_overwrite_params": _PIPELINE_STEPS,
        "check_dont_overwrite_parameters": _PIPELINE_STEPS,
    },
    PoissonNoise: {
        "check_methods_subset_invariance": _BATCH_DRAWS,
        "check_methods_sample_order_invariance": _BATCH_DRAWS,
    },
    RandomBackground: {
        "check_methods_subset_invariance": _BATCH_DRAWS,
        "check_methods_sample_order_invariance": _BATCH_DRAWS,
    },
    RandomBroadening: {
        "check_methods_subset_invariance": _BATCH_DRAWS,
        "check_methods_sample_order_invariance": _BATCH_DRAWS,
    },
    RandomShift: {
        "check_methods_subset_invariance": _BATCH_DRAWS,
        "check_methods_sample_order_invariance": _BATCH_DRAWS,
    },
    SpatialBinning: {
        "check_transformer_data_not_an_array": _BINNING,
        "check_transformer_general": _BINNING,
        "check_methods_sample_order_invariance": _BINNING,
        "check_methods_subset_invariance": _BINNING,
        "check_fit_idempotent": _BINNING,
    },
}

# transformers whose pandas output cannot carry the input's index, with the
# reason; tests/test_common.py asserts that the check fails as described
PANDAS_INDEX_CHANGES = {SpatialBinning: _BINNING}


def construct_instances():
    """Yield one fast instance of every public estimator."""
    for _, cls in all_estimators():
        yield cls(**INIT_PARAMS.get(cls, {}))


def get_expected_failed_checks(estimator):
    """Return ``{check_name: reason}`` for ``estimator``."""
    return EXPECTED_FAILED_CHECKS.get(type(estimator), {})
