"""The paper's experiment on synthetic XANES, measured references, the demo."""

import numpy as np
import pytest

from skspectra.datasets import make_xanes_series
from skspectra.neighbors import SimilarityKNNEstimator

METRICS = ["euclidean", "cosine", "pearson", "wasserstein", "hellinger", "derivative"]


@pytest.fixture(scope="module")
def xanes_library():
    return make_xanes_series(4000, 256, random_state=0)


def _mae(library, queries, metric, **params):
    Q = queries.data
    if metric in ("wasserstein", "hellinger"):
        Q = np.clip(Q, 0.0, None)
    est = SimilarityKNNEstimator(metric=metric, energy=library.energy, **params)
    est.fit(library.data, library.target)
    return np.abs(est.predict(Q) - queries.target).mean(axis=0)


@pytest.fixture(scope="module")
def snr20_errors(xanes_library):
    queries = make_xanes_series(300, 256, noise=20, random_state=1)
    errors = {m: _mae(xanes_library, queries, m, n_neighbors=10) for m in METRICS}
    # the Bayes posterior mean under the true noise model: Gaussian kernel of
    # the true noise level on Euclidean distances over a library drawn from
    # the prior; no estimator has a lower mean squared error
    sigma = np.sqrt((queries.noiseless**2).mean(axis=1)).mean() / 20
    bayes = _mae(
        xanes_library,
        queries,
        "euclidean",
        n_neighbors=200,
        weights="gaussian",
        bandwidth=sigma,
    )
    return errors, bayes


def test_noiseless_spectra_give_valence_and_crystal_field(xanes_library):
    queries = make_xanes_series(300, 256, random_state=2)
    errors = {m: _mae(xanes_library, queries, m, n_neighbors=5) for m in METRICS}
    best = min(errors.values(), key=lambda e: e[1])
    assert best[0] < 0.05
    assert best[1] < 0.15


def test_best_metric_at_snr20_reaches_the_valence_target(snr20_errors):
    errors, _ = snr20_errors
    assert min(e[0] for e in errors.values()) < 0.1


def test_best_metric_at_snr20_is_near_the_bayes_limit(snr20_errors):
    # the crystal-field error of the best similarity measure is within 15 %
    # of that of the Bayes posterior mean, the lowest any estimator can reach
    errors, bayes = snr20_errors
    best = min(e[1] for e in errors.values())
    assert best < 1.15 * bayes[1]


@pytest.mark.xfail(
    strict=True,
    reason=(
        "10Dq MAE < 0.15 eV at SNR 20 is below the information limit of "
        "make_xanes_series: the Bayes posterior mean itself reaches ~0.45 eV "
        "at 256 channels (~0.32 eV at 1000); see benchmarks/bench_similarity.py"
    ),
)
def test_best_metric_at_snr20_reaches_the_crystal_field_target(snr20_errors):
    errors, _ = snr20_errors
    assert min(e[1] for e in errors.values()) < 0.15


def test_leave_one_compound_out_on_measured_references(shared_data):
    from skspectra.neighbors._demo import REAL_ELEMENTS, leave_one_compound_out

    results = leave_one_compound_out(shared_data)
    assert set(results) == set(REAL_ELEMENTS)
    errors = []
    for element, (y, pred, compounds) in results.items():
        assert len(set(compounds)) >= 5, element
        err = np.abs(pred - y)
        print(f"{element}: MAE {err.mean():.2f} over {len(y)} spectra")
        errors.append(err)
        # every element is estimated far better than by the mean valence
        assert err.mean() < np.abs(y - y.mean()).mean() + 0.1, element
    assert np.concatenate(errors).mean() <= 0.5


def test_demo_reports_synthetic_and_real_results(shared_data):
    from skspectra.neighbors._demo import run_demo

    lines = []
    run_demo(lines.append, data_dir=shared_data, random_state=0)
    text = "\n".join(lines)
    assert "SNR 20" in text and "valence MAE" in text
    assert "all elements: MAE" in text
    for element in ("Mn", "Fe", "V", "Cr", "Cu"):
        assert f"  {element}:" in text


def test_demo_without_data():
    from skspectra.neighbors._demo import run_demo

    lines = []
    run_demo(lines.append, data_dir=None, random_state=1)
    assert any("skipped" in line for line in lines)
