"""Edge steps in the ESPRITPeaks model: exact pieces, synthetic edges, bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skspectra.datasets import lorentzian, make_edge_peaks, make_lorentzian_peaks
from skspectra.peaks import EdgeModel, ESPRITPeaks
from skspectra.peaks._edges import (
    _detrend,
    _fit_model,
    _height_map,
    _model_and_jacobian,
    _step_owners,
)


def _count_and_errors(out, truth, max_peaks):
    count = out[:, -1].astype(int)
    right = count == truth.n_peaks
    errs = [
        np.abs(out[i, 0 : 3 * count[i] : 3] - truth.positions[i, : count[i]])
        / truth.widths[i, : count[i]]
        for i in np.flatnonzero(right)
    ]
    return right, np.concatenate(errs)


def test_edge_jacobian_matches_finite_differences():
    rng = np.random.default_rng(0)
    N, K = 200, 3
    n = np.arange(N, dtype=np.float64)[None, None, :]
    x = np.array([[60.0, 75.0, 130.0]])
    g = np.array([[4.0, 6.0, 5.0]])
    a = np.array([[30.0, 50.0, 40.0]])
    kp = np.ones((1, K), bool)
    owner = np.array([[0, 2]])
    for C in (_height_map(2, 0.5), _height_map(2, None)):
        H = rng.uniform(1, 2, (1, C.shape[0]))
        c = np.array([0.3])
        theta = np.concatenate([x[0], g[0], a[0], c, H[0]])
        _, J = _model_and_jacobian(n, x, g, a, kp, c, H, owner, C)

        def model(t, C=C):
            xs, gs, as_ = t[None, :K], t[None, K : 2 * K], t[None, 2 * K : 3 * K]
            m, _ = _model_and_jacobian(
                n, xs, gs, as_, kp, t[3 * K : 3 * K + 1], t[None, 3 * K + 1 :], owner, C
            )
            return m[0]

        for p in range(theta.size):
            d = np.zeros_like(theta)
            d[p] = 1e-6
            fd = (model(theta + d) - model(theta - d)) / 2e-6
            np.testing.assert_allclose(J[0, p], fd, atol=1e-6 * np.abs(fd).max() + 1e-9)


def test_detrend_removes_a_straight_line_exactly():
    X = 3.0 + 0.25 * np.arange(64.0)[None, :]
    np.testing.assert_allclose(_detrend(X), 0.0, atol=1e-12)


def test_steps_belong_to_the_first_clear_line_of_each_group():
    # L3 = (weak pre-peak, t2g, eg), L2 = (t2g, eg): the gap between the
    # groups is the largest
    x = np.array([[95.0, 100.0, 108.0, 130.0, 138.0]])
    a = np.array([[0.5, 10.0, 20.0, 8.0, 15.0]])
    owner = _step_owners(x, a, np.ones_like(x, bool), 2)
    np.testing.assert_array_equal(owner, [[1, 3]])
    np.testing.assert_array_equal(_step_owners(x, a, np.ones_like(x, bool), 1), [[1]])


def test_noiseless_model_is_fitted_exactly_from_a_nearby_start():
    X, t = make_edge_peaks(4, 512, lines_per_edge=2, random_state=1)
    k = t.n_peaks.max()
    x, g, a = t.positions[:, :k], t.widths[:, :k], t.areas[:, :k]
    keep = np.ones_like(x, bool)
    owner = np.array([[0, 2]] * 4)
    fit = _fit_model(X, x + 0.3, g * 1.1, a, keep, owner, _height_map(2, 0.5))
    np.testing.assert_allclose(fit.x, x, atol=1e-6)
    np.testing.assert_allclose(fit.g, g, rtol=1e-6)
    np.testing.assert_allclose(fit.heights, t.step_heights, rtol=1e-6)
    np.testing.assert_allclose(fit.c, 0.0, atol=1e-6)


@pytest.mark.parametrize("snr", [100, 300])
def test_synthetic_edges_count_and_positions(snr):
    X, truth = make_edge_peaks(60, 1024, snr=snr, random_state=snr)
    est = ESPRITPeaks(edge_steps=2, max_peaks=6).fit(X)
    out = est.transform(X)
    right, errs = _count_and_errors(out, truth, 6)
    assert right.mean() >= 0.95
    # about the least-squares error at this noise (see benchmarks/bench_peaks.py)
    assert np.median(errs) < 1.0 / snr
    # the steps: two per spectrum, at the first line of each group, 2:1
    assert np.all(out[:, -2] == 2)
    M = est.max_peaks
    heights = out[:, 6 * M + 2 : 6 * M + 8 : 4]
    rows = np.flatnonzero(right)
    np.testing.assert_allclose(heights[rows], truth.step_heights[rows], rtol=20.0 / snr)


def test_inverse_transform_is_peaks_plus_steps_plus_constant():
    X, truth = make_edge_peaks(5, 512, snr=1000, random_state=4)
    est = ESPRITPeaks(edge_steps=2, max_peaks=6).fit(X)
    out = est.transform(X)
    rebuilt = est.inverse_transform(out)
    resid = X - rebuilt
    # the residual is the noise: its mean vanishes and its size is the noise
    np.testing.assert_allclose(resid.mean(axis=1), 0.0, atol=1e-6 * X.max())
    np.testing.assert_allclose(resid.std(axis=1), truth.noise_std, rtol=0.15)
    names = est.get_feature_names_out()
    assert list(names[36:40]) == [
        "step0_position",
        "step0_width",
        "step0_height",
        "step0_height_error",
    ]
    assert list(names[-3:]) == ["constant", "n_steps", "n_peaks"]
    assert out.shape == (5, 6 * 6 + 4 * 2 + 3)


def test_fixed_count_with_edge_steps_is_exact():
    X, truth = make_edge_peaks(20, 512, lines_per_edge=2, snr=100, random_state=5)
    for k in (2, 4, 6):
        out = ESPRITPeaks(edge_steps=2, n_peaks=k, max_peaks=6).fit(X).transform(X)
        np.testing.assert_array_equal(out[:, -1], k)


def test_auto_finds_no_step_on_plain_lorentzians():
    X, truth = make_lorentzian_peaks(20, 256, n_peaks=(2, 4), snr=100, random_state=6)
    out = ESPRITPeaks(edge_steps="auto", max_peaks=5).fit(X).transform(X)
    assert np.mean(out[:, -2] == 0) >= 0.9
    assert np.mean(out[:, -1] == truth.n_peaks) >= 0.9


def test_steps_requested_where_none_exist_are_zero_within_errors():
    X, truth = make_lorentzian_peaks(20, 256, n_peaks=(2, 4), snr=100, random_state=7)
    est = ESPRITPeaks(edge_steps=2, max_peaks=5).fit(X)
    out = est.transform(X)
    heights = out[:, 30 + 2 : 30 + 8 : 4]
    errors = out[:, 30 + 3 : 30 + 8 : 4]
    n_steps = out[:, -2].astype(int)
    on = np.arange(2)[None, :] < n_steps[:, None]
    assert np.mean(np.abs(heights[on]) < 4 * errors[on]) >= 0.9
    assert np.mean(out[:, -1] == truth.n_peaks) >= 0.9


def test_window_with_no_edge():
    # noise and a constant only: no peak, no step, the constant
    rng = np.random.default_rng(8)
    X = 5.0 + rng.standard_normal((5, 256))
    for steps in (2, "auto"):
        est = ESPRITPeaks(edge_steps=steps, max_peaks=4).fit(X)
        model = est.decompose(X[0], full=True)
        assert isinstance(model, EdgeModel)
        assert len(model.peaks) <= 1
        assert model.constant == pytest.approx(5.0, abs=1.0)
    flat = ESPRITPeaks(edge_steps=2).fit(np.ones((1, 64)))
    model = flat.decompose(np.ones(64), full=True)
    assert model.peaks == [] and model.steps == [] and model.constant == 1.0


def test_axis_checks_with_edge_steps():
    X, _ = make_edge_peaks(2, 256, snr=200, random_state=9)
    energy = 450.0 + 0.1 * np.arange(256)
    with pytest.raises(ValueError, match="increasing"):
        ESPRITPeaks(energy=energy[::-1], edge_steps=2).fit(X)
    # an axis written with 6 significant digits is uniform
    rounded = np.round(energy, 2) + 1e-7 * np.sin(np.arange(256))
    est = ESPRITPeaks(energy=rounded, edge_steps=2, max_peaks=6).fit(X)
    assert est.transform(X)[:, -1].min() >= 2
    bent = 450.0 + 0.1 * np.arange(256) + 1e-4 * np.arange(256) ** 2
    with pytest.raises(ValueError, match="resample_spectra"):
        ESPRITPeaks(energy=bent, edge_steps=2).fit(X)


def test_single_step_for_a_k_edge():
    # one white line on one step
    n = np.arange(400.0)
    x = lorentzian(n, [150.0, 170.0], [5.0, 8.0], [60.0, 80.0])
    x += 2.0 * (0.5 + np.arctan((n - 150.0) / 5.0) / np.pi)
    est = ESPRITPeaks(edge_steps=1, max_peaks=4).fit(x[None])
    model = est.decompose(x, full=True)
    np.testing.assert_allclose([p.position for p in model.peaks], [150, 170], atol=1e-4)
    assert len(model.steps) == 1
    assert model.steps[0].height == pytest.approx(2.0, rel=1e-4)


@settings(max_examples=60, deadline=None)
@given(
    width=st.floats(2.0, 10.0),
    ratio=st.floats(0.7, 1.4),
    share=st.floats(0.2, 0.8),
    gap=st.floats(0.0, 1.0),
)
def test_two_lorentzians_at_one_position_are_one_line(width, ratio, share, gap):
    # closer than a narrower half-width with no dip: one line; the same pair
    # three (wider) half-widths apart: two
    from skspectra.peaks._esprit import _unresolved_pair

    g = np.array([[width, width * ratio]])
    a = np.array([[share, 1.0 - share]])
    keep = np.ones((1, 2), dtype=bool)
    near = np.array([[100.0, 100.0 + gap * g.min()]])
    first, second = _unresolved_pair(near, g, a, keep)
    assert {int(first[0]), int(second[0])} == {0, 1}
    far = np.array([[100.0, 100.0 + 3.0 * g.max()]])
    first, second = _unresolved_pair(far, g, a, keep)
    assert first[0] == -1 and second[0] == -1
    # a peak left out of the model pairs with nothing
    first, _ = _unresolved_pair(near, g, a, np.array([[True, False]]))
    assert first[0] == -1


def test_lines_outside_the_model_are_counted_once():
    # Voigt lines on error-function steps, a sloped background and
    # gain-normalised noise: each line that two Lorentzians describe is one
    untuned = dict(line_shape="voigt", step_shape="erf", slope=0.05, noise="gain")
    X, truth = make_edge_peaks(40, 1024, snr=100, random_state=3, **untuned)
    merged = ESPRITPeaks(edge_steps=2, max_peaks=6).fit(X).transform(X)[:, -1]
    plain = ESPRITPeaks(edge_steps=2, max_peaks=6, merge_lines=False)
    every = plain.fit(X).transform(X)[:, -1]
    assert np.mean(merged == truth.n_peaks) >= 0.85
    assert np.mean(merged == truth.n_peaks) > np.mean(every == truth.n_peaks)
    assert np.all(merged <= every)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_rows=st.integers(1, 40))
def test_blocked_evaluation_equals_full_slots_row_by_row(seed, n_rows):
    # the evaluation groups spectra by the slots they use and trims the
    # unused ones: the same residuals, normal matrices and gradients as the
    # model over every slot, one spectrum at a time
    from skspectra.peaks._edges import _evaluate

    rng = np.random.default_rng(seed)
    K, N = 5, 96
    x = rng.uniform(10.0, 80.0, (n_rows, K))
    g = rng.uniform(1.0, 6.0, (n_rows, K))
    a = rng.uniform(0.5, 3.0, (n_rows, K))
    kp = rng.random((n_rows, K)) < 0.6
    c, H = rng.normal(size=n_rows), rng.uniform(0.1, 1.0, (n_rows, 1))
    C = _height_map(2, 0.5)
    owner = _step_owners(x, a, kp, 2)
    X = rng.normal(size=(n_rows, N))
    resid, cost, A, rhs = _evaluate(X, (x, g, a, c, H), kp, owner, C)
    n = np.arange(N, dtype=np.float64)[None, None, :]
    for i in range(n_rows):
        r = slice(i, i + 1)
        model, J = _model_and_jacobian(
            n, x[r], g[r], a[r], kp[r], c[r], H[r], owner[r], C
        )
        ref = X[r] - model
        np.testing.assert_allclose(resid[r], ref, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(cost[i], np.sum(ref**2), rtol=1e-12)
        np.testing.assert_allclose(A[r], J @ J.transpose(0, 2, 1), atol=1e-10)
        np.testing.assert_allclose(rhs[r], (J @ ref[:, :, None])[..., 0], atol=1e-10)


def test_edge_model_batched_equals_one_by_one():
    X, _ = make_edge_peaks(8, 512, snr=100, random_state=4)
    est = ESPRITPeaks(edge_steps=2, max_peaks=6).fit(X)
    batch = est.transform(X)
    for i in range(X.shape[0]):
        np.testing.assert_allclose(
            est.transform(X[i : i + 1])[0], batch[i], rtol=1e-7, atol=1e-9
        )
