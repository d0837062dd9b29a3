"""The energy axis travels along a SpectralPipeline, through fits and clones."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.feature_selection import VarianceThreshold
from sklearn.model_selection import GridSearchCV, LeaveOneGroupOut, cross_val_score
from sklearn.preprocessing import StandardScaler

from skspectra.datasets import (
    find_data_dir,
    load_k_edge_references,
    make_lorentzian_peaks,
)
from skspectra.neighbors import SimilarityKNNEstimator
from skspectra.peaks import ESPRITPeaks
from skspectra.pipeline import SpectralPipeline, make_spectral_pipeline
from skspectra.preprocessing import (
    EnergyCrop,
    SavitzkyGolay,
    SpectrumNormalizer,
    XANESNormalizer,
)

ENERGY = np.linspace(500.0, 520.0, 41)


def _spectra(n_spectra=6, n_channels=41, seed=0):
    return np.random.default_rng(seed).uniform(1.0, 2.0, (n_spectra, n_channels))


def _cropped(energy, e_min=None, e_max=None):
    low = -np.inf if e_min is None else e_min
    high = np.inf if e_max is None else e_max
    return energy[(energy >= low) & (energy <= high)]


def test_steps_after_a_crop_get_the_cropped_energies():
    pipe = make_spectral_pipeline(
        EnergyCrop(e_min=505.0, e_max=515.0),
        SavitzkyGolay(window_length=5, polyorder=2),
        SpectrumNormalizer(),
        energy=ENERGY,
    ).fit(_spectra())
    expected = _cropped(ENERGY, 505.0, 515.0)
    np.testing.assert_array_equal(pipe[0].energy, ENERGY)
    np.testing.assert_array_equal(pipe[1].energy, expected)
    np.testing.assert_array_equal(pipe[2].energy, expected)


def test_the_first_steps_energy_seeds_the_axis():
    pipe = make_spectral_pipeline(
        EnergyCrop(energy=ENERGY, e_min=510.0), SpectrumNormalizer()
    ).fit(_spectra())
    np.testing.assert_array_equal(pipe[1].energy, _cropped(ENERGY, 510.0))


def test_user_steps_are_left_unchanged():
    crop, normalizer = EnergyCrop(e_min=505.0), SpectrumNormalizer()
    pipe = make_spectral_pipeline(crop, normalizer, energy=ENERGY).fit(_spectra())
    # the filled-in steps are fitted clones; the user's objects keep energy=None
    assert crop.energy is None and normalizer.energy is None
    assert pipe[0] is not crop and pipe[1] is not normalizer


def test_an_energy_set_on_a_later_step_is_kept_and_continues_the_axis():
    shifted = _cropped(ENERGY, 505.0) + 100.0
    pipe = make_spectral_pipeline(
        EnergyCrop(e_min=505.0),
        SpectrumNormalizer(energy=shifted),
        SavitzkyGolay(window_length=5, polyorder=2),
        energy=ENERGY,
    ).fit(_spectra())
    assert pipe[1].energy is shifted
    np.testing.assert_array_equal(pipe[2].energy, shifted)


def test_refit_recomputes_the_filled_energies():
    pipe = make_spectral_pipeline(
        EnergyCrop(e_min=505.0), SpectrumNormalizer(), energy=ENERGY
    )
    X = _spectra()
    pipe.fit(X)
    pipe.set_params(energycrop__e_min=512.0).fit(X)
    np.testing.assert_array_equal(pipe[1].energy, _cropped(ENERGY, 512.0))
    assert pipe.transform(X).shape == (6, _cropped(ENERGY, 512.0).size)


def test_clone_of_a_fitted_pipeline_unsets_the_filled_energies():
    pipe = make_spectral_pipeline(
        EnergyCrop(e_min=505.0), SpectrumNormalizer(), energy=ENERGY
    ).fit(_spectra())
    cloned = clone(pipe)
    assert cloned[1].energy is None
    np.testing.assert_array_equal(cloned.energy, ENERGY)
    cloned.set_params(energycrop__e_min=515.0).fit(_spectra())
    np.testing.assert_array_equal(cloned[1].energy, _cropped(ENERGY, 515.0))


def test_clone_keeps_an_energy_the_user_set():
    own = _cropped(ENERGY, 505.0)
    pipe = make_spectral_pipeline(
        EnergyCrop(e_min=505.0), SpectrumNormalizer(energy=own), energy=ENERGY
    ).fit(_spectra())
    np.testing.assert_array_equal(clone(pipe)[1].energy, own)


def test_selectors_and_one_to_one_transformers_pass_the_axis_on():
    X = _spectra()
    X[:, :3] = 1.0  # constant channels that VarianceThreshold drops
    pipe = make_spectral_pipeline(
        StandardScaler(), VarianceThreshold(), SpectrumNormalizer(), energy=ENERGY
    ).fit(X)
    np.testing.assert_array_equal(pipe[2].energy, ENERGY[3:])


def test_a_transformer_without_an_energy_axis_ends_it():
    pipe = make_spectral_pipeline(
        PCA(n_components=3), SpectrumNormalizer(), energy=ENERGY
    ).fit(_spectra())
    assert pipe[1].energy is None


def test_slicing_and_named_steps_behave_as_in_pipeline():
    pipe = make_spectral_pipeline(
        EnergyCrop(e_min=505.0), SpectrumNormalizer(), energy=ENERGY
    ).fit(_spectra())
    assert isinstance(pipe[1:], SpectralPipeline)
    assert pipe.named_steps.spectrumnormalizer is pipe[1]


def test_transform_input_is_refused():
    pipe = SpectralPipeline(
        [("crop", EnergyCrop())], energy=ENERGY, transform_input=["X_val"]
    )
    with pytest.raises(ValueError, match="transform_input"):
        pipe.fit(_spectra())


def test_grid_search_over_the_crop_of_synthetic_peaks():
    # ESPRIT after a crop: the peak positions it finds are in eV on the
    # cropped axis only if the crop's energies reached it
    energy = np.linspace(400.0, 527.5, 256)
    X, truth = make_lorentzian_peaks(
        12,
        256,
        n_peaks=(2, 2),
        width_range=(2.0, 4.0),
        edge_margin=10.0,
        energy=energy,
        random_state=0,
    )
    # the peaks lie at least 20 eV inside the axis: every crop keeps them
    e_mins = [400.0, 405.0, 410.0]

    def scorer(pipe, X_test, y_test=None):
        cropped = _cropped(energy, pipe[0].e_min)
        np.testing.assert_array_equal(pipe[-1].energy_, cropped)
        features = pipe.transform(X_test)
        found = features[:, [0, 3]]
        assert np.all((found >= cropped[0]) & (found <= cropped[-1]))
        return -float(np.mean(np.abs(features[:, -1] - 2)))

    pipe = make_spectral_pipeline(EnergyCrop(), ESPRITPeaks(max_peaks=2), energy=energy)
    search = GridSearchCV(
        pipe, {"energycrop__e_min": e_mins}, cv=3, scoring=scorer, error_score="raise"
    ).fit(X)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_
    np.testing.assert_array_equal(best[-1].energy_, _cropped(energy, best[0].e_min))
    # the positions are the true ones, in eV
    positions = np.sort(best.transform(X)[:, [0, 3]], axis=1)
    np.testing.assert_allclose(positions, truth.positions, atol=1.0)


def _knn_pipeline(energy):
    return make_spectral_pipeline(
        EnergyCrop(),
        XANESNormalizer(),
        SimilarityKNNEstimator(n_neighbors=3, metric="wasserstein"),
        energy=energy,
    )


def _grid_search_over_e_min(X, y, groups, energy, e_mins):
    """Fit the search; every fit's steps must see the cropped energies."""
    fits = []

    def scorer(pipe, X_test, y_test):
        cropped = _cropped(energy, pipe[0].e_min)
        np.testing.assert_array_equal(pipe[1].energy, cropped)
        np.testing.assert_array_equal(pipe[2].energy_, cropped)
        fits.append(pipe[0].e_min)
        return -float(np.mean(np.abs(pipe.predict(X_test) - y_test)))

    search = GridSearchCV(
        _knn_pipeline(energy),
        {"energycrop__e_min": e_mins},
        cv=LeaveOneGroupOut(),
        scoring=scorer,
        error_score=np.nan,
    ).fit(X, y, groups=groups)
    return search, fits


def test_grid_search_over_the_crop_of_synthetic_xanes():
    energy = np.linspace(-20.0, 60.0, 161)
    rng = np.random.default_rng(0)
    valence = np.repeat([2.0, 3.0, 4.0], 4)
    edge = 2.0 * valence  # the chemical shift of the edge with the valence
    X = 1.0 / (1.0 + np.exp(-(energy - edge[:, None]) / 1.5))
    X = X + 0.01 * rng.standard_normal(X.shape)
    groups = np.tile(np.arange(4), 3)
    e_mins = [-20.0, -10.0, -5.0]
    search, fits = _grid_search_over_e_min(X, valence, groups, energy, e_mins)
    n_fits = len(e_mins) * 4
    assert not np.isnan(search.cv_results_["mean_test_score"]).any()
    assert len(fits) == n_fits
    assert search.best_score_ > -0.5


def test_cross_val_score_of_a_fitted_pipeline_refills_the_energies():
    energy = np.linspace(-20.0, 60.0, 161)
    valence = np.repeat([2.0, 3.0, 4.0], 4)
    X = 1.0 / (1.0 + np.exp(-(energy - 2.0 * valence[:, None]) / 1.5))
    pipe = _knn_pipeline(energy).set_params(energycrop__e_min=-10.0).fit(X, valence)
    scores = cross_val_score(
        pipe.set_params(energycrop__e_min=-5.0), X, valence, cv=3, error_score="raise"
    )
    assert np.all(np.isfinite(scores))


@pytest.fixture(scope="module")
def mn_references():
    try:
        find_data_dir()
    except FileNotFoundError:
        pytest.skip("the measured reference spectra are not available")
    return load_k_edge_references(element="Mn")


def test_grid_search_over_the_crop_of_measured_xanes(mn_references):
    refs = mn_references
    e_mins = [-15.0, -10.0, -5.0, 0.0]
    search, fits = _grid_search_over_e_min(
        refs.X, refs.target, refs.groups, refs.energy, e_mins
    )
    n_groups = np.unique(refs.groups).size
    assert not np.isnan(search.cv_results_["mean_test_score"]).any()
    assert len(fits) == len(e_mins) * n_groups
    assert sorted(set(fits)) == e_mins
    # the valence from the other compounds within a unit
    assert search.best_score_ > -1.0


def test_cached_steps_keep_following_the_crop(tmp_path):
    # with memory, steps come back from joblib's cache as copies; a refit must
    # still recognise their energies as filled in
    pipe = make_spectral_pipeline(
        EnergyCrop(), SpectrumNormalizer(), energy=ENERGY, memory=str(tmp_path)
    )
    X = _spectra()
    for e_min in (505.0, 510.0, 505.0, 512.0):
        pipe.set_params(energycrop__e_min=e_min).fit(X)
        np.testing.assert_array_equal(pipe[1].energy, _cropped(ENERGY, e_min))
    assert clone(pipe)[1].energy is None


def test_grid_search_in_parallel_workers():
    X, y = _spectra(20), np.linspace(0.0, 1.0, 20)
    search = GridSearchCV(
        make_spectral_pipeline(
            EnergyCrop(),
            SpectrumNormalizer(),
            SimilarityKNNEstimator(metric="wasserstein"),
            energy=ENERGY,
        ),
        {"energycrop__e_min": [500.0, 510.0]},
        cv=2,
        n_jobs=2,
        error_score="raise",
    ).fit(X, y)
    best = search.best_estimator_
    np.testing.assert_array_equal(best[2].energy_, _cropped(ENERGY, best[0].e_min))


def test_an_energy_set_after_a_fit_is_kept():
    pipe = make_spectral_pipeline(
        EnergyCrop(e_min=505.0), SpectrumNormalizer(), energy=ENERGY
    ).fit(_spectra())
    own = _cropped(ENERGY, 505.0) * 2.0
    pipe.set_params(spectrumnormalizer__energy=own).fit(_spectra())
    assert pipe[1].energy is own


def test_fit_params_reach_their_step_as_in_pipeline():
    from sklearn.pipeline import make_pipeline

    X, weights = _spectra(), np.arange(6.0)
    steps = (StandardScaler(), SpectrumNormalizer(norm="max"))
    ours = make_spectral_pipeline(*steps).fit(X, standardscaler__sample_weight=weights)
    theirs = make_pipeline(*(clone(s) for s in steps)).fit(
        X, standardscaler__sample_weight=weights
    )
    np.testing.assert_allclose(ours[0].mean_, theirs[0].mean_)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X))


def test_metadata_routing_reaches_the_steps_after_a_crop():
    import sklearn
    from sklearn.linear_model import Ridge

    E = np.linspace(0.0, 10.0, 20)
    X = np.random.default_rng(0).uniform(size=(30, 20))
    y = X[:, 3] + X[:, 12]
    w = np.ones(30)
    w[:5] = 10.0
    kept = E >= 2.0
    want = Ridge().fit(X[:, kept], y, sample_weight=w).predict(X[:3, kept])
    with sklearn.config_context(enable_metadata_routing=True):
        ridge = Ridge().set_fit_request(sample_weight=True)
        pipe = make_spectral_pipeline(EnergyCrop(e_min=2.0), ridge, energy=E)
        got = pipe.fit(X, y, sample_weight=w).predict(X[:3])
    np.testing.assert_allclose(got, want)
