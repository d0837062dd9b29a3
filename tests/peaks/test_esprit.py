"""Tests of ESPRITPeaks, derived from the Fourier model of Lorentzian sums."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skspectra.datasets import lorentzian, make_lorentzian_peaks
from skspectra.datasets._peaks import _periodic_lorentzian
from skspectra.peaks import ESPRITPeaks, Peak
from skspectra.utils import fold, unfold


def _match_errors(est, X, truth):
    """Per spectrum: found the right count?  And relative errors if so."""
    out = est.transform(X)
    k = est.max_peaks
    pos = out[:, 0 : 3 * k : 3]
    wid = out[:, 1 : 3 * k : 3]
    area = out[:, 2 : 3 * k : 3]
    count = out[:, -1].astype(int)
    return pos, wid, area, count


# ---------------------------------------------------------------------------
# exactness in the model class (Lorentzians summed over window-length shifts)
# ---------------------------------------------------------------------------


@given(
    n_peaks=st.integers(1, 10),
    seed=st.integers(0, 2**31 - 1),
    step=st.sampled_from([1.0, 0.05, 0.3]),
)
def test_exact_for_periodised_lorentzians(n_peaks, seed, step):
    # separations >= one half-width, half-widths >= 2 channels, centres at
    # least 3 half-widths from the window ends
    energy = 400.0 + step * np.arange(256)
    X, truth = make_lorentzian_peaks(
        1,
        256,
        n_peaks=n_peaks,
        width_range=(2.0 * step, 6.0 * step),
        min_separation=1.0,
        edge_margin=3.0,
        periodic=True,
        energy=energy,
        random_state=seed,
    )
    est = ESPRITPeaks(energy=energy, order_selection="threshold").fit(X)
    pos, wid, area, count = _match_errors(est, X, truth)
    assert count[0] == n_peaks
    sl = slice(0, n_peaks)
    np.testing.assert_allclose(
        (pos[0, sl] - truth.positions[0]) / truth.widths[0], 0, atol=1e-6
    )
    np.testing.assert_allclose(wid[0, sl], truth.widths[0], rtol=1e-6)
    np.testing.assert_allclose(area[0, sl], truth.areas[0], rtol=1e-6)


def test_exact_with_fixed_count_and_inverse_transform_of_truth():
    X, truth = make_lorentzian_peaks(
        5, 200, n_peaks=3, periodic=True, random_state=3, min_separation=1.5
    )
    est = ESPRITPeaks(n_peaks=3, max_peaks=3).fit(X)
    out = est.transform(X)
    np.testing.assert_array_equal(out[:, -1], 3)
    np.testing.assert_allclose(out[:, 0:9:3], truth.positions, rtol=1e-8)
    # inverse_transform is the plain (not periodised) Lorentzian sum plus the
    # constant that fits best under it
    rebuilt = est.inverse_transform(out)
    plain = lorentzian(est.energy_, truth.positions, truth.widths, truth.areas)
    np.testing.assert_allclose(out[:, -2], (X - plain).mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(rebuilt, plain + out[:, -2:-1], rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------------------
# the limits stated in the Notes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("snr, expected", [(100, 1), (1e4, 2)])
def test_limit_overlap_closer_than_half_width(snr, expected):
    # two equal peaks half a half-width apart: one peak at SNR 100, two at
    # SNR 1e4 (the resolution limit moves with the noise)
    e = np.arange(256.0)
    x = lorentzian(e, [120.0, 122.0], [4.0, 4.0], [10.0, 10.0])
    x += x.max() / snr * np.random.default_rng(0).standard_normal(e.size)
    peaks = ESPRITPeaks().fit(x[None]).decompose(x)
    assert len(peaks) == expected
    # the area lacks the tails beyond the window, a fraction of about
    # width / pi * (1 / 120 + 1 / 134) = 2 %
    assert abs(sum(p.area for p in peaks) - 20.0) < 0.03 * 20.0
    if expected == 1:
        assert abs(peaks[0].position - 121.0) < 0.1


def test_limit_overlap_noiseless_loses_digits():
    # in the exact model class a quarter half-width is still resolved, but
    # the conditioning of the close pole pair costs digits (about 1e-6)
    e = np.arange(256.0)
    x = _periodic_lorentzian(e, [120.0, 121.0], [4.0, 4.0], [10.0, 10.0], 256)
    peaks = ESPRITPeaks(order_selection="threshold").fit(x[None]).decompose(x)
    assert len(peaks) == 2
    np.testing.assert_allclose([p.position for p in peaks], [120, 121], atol=1e-4)
    np.testing.assert_allclose([p.area for p in peaks], [10, 10], rtol=1e-4)


def test_limit_peak_at_window_edge_is_biased_refine_removes_it():
    # a plain Lorentzian 2 half-widths from the edge loses its outer tail:
    # ESPRIT alone is no longer exact (but close), unlike mid-window; the
    # least-squares refinement on plain Lorentzians removes most of the bias
    e = np.arange(256.0)
    kw = dict(order_selection="threshold", threshold=1e-3)
    est = ESPRITPeaks(refine=False, **kw).fit(e[None])
    mid = est.decompose(lorentzian(e, [128.0], [3.0], [10.0]))
    edge_x = lorentzian(e, [6.0], [3.0], [10.0])
    edge = est.decompose(edge_x)
    err_edge = abs(edge[0].position - 6.0)
    assert abs(mid[0].position - 128.0) < 1e-6
    assert 1e-4 < err_edge < 0.5
    refined = ESPRITPeaks(**kw).fit(e[None]).decompose(edge_x)
    assert abs(refined[0].position - 6.0) < err_edge / 10
    assert abs(refined[0].area - 10.0) < abs(edge[0].area - 10.0) / 10


def test_peak_centred_outside_window_is_dropped():
    # the pole maps outside the window: no peak is reported for it
    e = np.arange(128.0)
    x = lorentzian(e, [-8.0, 64.0], [3.0, 3.0], [10.0, 10.0])
    x += 1e-3 * np.random.default_rng(1).standard_normal(e.size)
    peaks = ESPRITPeaks().fit(x[None]).decompose(x)
    assert all(0 <= p.position <= 127 for p in peaks)
    assert any(abs(p.position - 64.0) < 0.05 for p in peaks)


# ---------------------------------------------------------------------------
# noise
# ---------------------------------------------------------------------------


def test_noise_snr_100_count_and_position():
    X, truth = make_lorentzian_peaks(200, 256, snr=100, random_state=0)
    est = ESPRITPeaks().fit(X)
    pos, wid, area, count = _match_errors(est, X, truth)
    right = count == truth.n_peaks
    assert right.mean() >= 0.9
    errs = np.concatenate(
        [
            np.abs(pos[i, : count[i]] - truth.positions[i, : count[i]])
            / truth.widths[i, : count[i]]
            for i in np.flatnonzero(right)
        ]
    )
    assert np.median(errs) < 0.01
    assert np.max(errs) < 0.1


def test_mdl_and_aic_on_noisy_spectrum():
    X, truth = make_lorentzian_peaks(
        1, 256, n_peaks=4, snr=300, random_state=4, min_separation=3.0
    )
    for rule in ("mdl", "aic"):
        out = ESPRITPeaks(order_selection=rule).fit(X).transform(X)
        assert out[0, -1] >= 4
    assert ESPRITPeaks().fit(X).transform(X)[0, -1] == 4


# ---------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------


def test_feature_names_fill_value_and_shape():
    X, _ = make_lorentzian_peaks(4, 128, n_peaks=2, random_state=0)
    est = ESPRITPeaks(max_peaks=3, fill_value=-1.0).fit(X)
    out = est.transform(X)
    names = est.get_feature_names_out()
    assert out.shape == (4, 20)
    assert list(names[:3]) == ["peak0_position", "peak0_width", "peak0_area"]
    assert list(names[9:12]) == [
        "peak0_position_error",
        "peak0_width_error",
        "peak0_area_error",
    ]
    assert list(names[-2:]) == ["constant", "n_peaks"]
    np.testing.assert_array_equal(out[:, -1], 2)
    np.testing.assert_array_equal(out[:, 6:9], -1.0)


def test_batched_equals_one_by_one_and_decompose():
    X, _ = make_lorentzian_peaks(12, 128, snr=200, random_state=2)
    est = ESPRITPeaks(max_peaks=6).fit(X)
    batch = est.transform(X)
    for i in range(X.shape[0]):
        np.testing.assert_allclose(est.transform(X[i : i + 1])[0], batch[i])
        peaks = est.decompose(X[i])
        assert all(isinstance(p, Peak) for p in peaks)
        assert len(peaks) == batch[i, -1]
        np.testing.assert_allclose(
            [p.position for p in peaks], batch[i, 0 : 3 * len(peaks) : 3]
        )


def test_spectrum_image_fold_unfold():
    X, truth = make_lorentzian_peaks(
        6 * 5, 128, n_peaks=2, snr=200, periodic=True, random_state=5
    )
    image = fold(X, (6, 5))
    est = ESPRITPeaks(max_peaks=4).fit(unfold(image))
    maps = fold(est.transform(unfold(image)), (6, 5))
    assert maps.shape == (6, 5, 26)
    np.testing.assert_array_equal(maps[..., -1], 2)
    np.testing.assert_allclose(
        maps[..., 0].ravel(), truth.positions[:, 0], atol=0.05 * 8
    )


def test_float32_agrees_with_float64():
    X, _ = make_lorentzian_peaks(5, 128, n_peaks=2, snr=1000, random_state=6)
    est = ESPRITPeaks(max_peaks=3).fit(X)
    a = est.transform(X)
    b = est.transform(X.astype(np.float32))
    np.testing.assert_array_equal(a[:, -1], b[:, -1])
    np.testing.assert_allclose(a[:, :-1], b[:, :-1], rtol=1e-3, atol=1e-3)


def test_constant_offset_does_not_matter():
    X, _ = make_lorentzian_peaks(3, 128, n_peaks=2, snr=500, random_state=7)
    est = ESPRITPeaks(max_peaks=3).fit(X)
    shifted, out = est.transform(X + 5.0), est.transform(X)
    np.testing.assert_allclose(shifted[:, :-2], out[:, :-2], atol=1e-8)
    np.testing.assert_array_equal(shifted[:, -1], out[:, -1])
    # the fitted constant takes the offset
    np.testing.assert_allclose(shifted[:, -2], out[:, -2] + 5.0, atol=1e-8)


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------


def test_flat_and_zero_spectra_have_no_peaks():
    X = np.vstack([np.zeros(64), np.full(64, 3.5)])
    est = ESPRITPeaks(max_peaks=2).fit(X)
    out = est.transform(X)
    np.testing.assert_array_equal(out[:, :-2], 0.0)
    np.testing.assert_array_equal(out[:, -1], 0.0)
    np.testing.assert_array_equal(out[:, -2], [0.0, 3.5])
    assert est.decompose(X[1]) == []
    # the whole model is the constant
    np.testing.assert_array_equal(est.inverse_transform(out), X)


def test_nan_is_rejected():
    X = np.ones((2, 32))
    X[0, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ESPRITPeaks().fit(X)
    est = ESPRITPeaks().fit(np.ones((2, 32)))
    with pytest.raises(ValueError, match="NaN"):
        est.transform(X)


def test_too_few_channels_for_requested_order():
    with pytest.raises(ValueError, match="channels"):
        ESPRITPeaks(n_peaks=5).fit(np.ones((2, 16)))
    with pytest.raises(ValueError, match="max_peaks"):
        ESPRITPeaks(n_peaks=5, max_peaks=3).fit(np.ones((2, 256)))
    # with n_peaks="auto" a short spectrum simply supports fewer peaks
    out = ESPRITPeaks().fit(np.ones((1, 3))).transform(np.ones((1, 3)))
    assert out[0, -1] == 0


def test_non_uniform_energy_is_rejected():
    energy = np.cumsum(np.linspace(1.0, 2.0, 64))
    with pytest.raises(ValueError, match="uniform"):
        ESPRITPeaks(energy=energy).fit(np.ones((2, 64)))
    with pytest.raises(ValueError, match="channels"):
        ESPRITPeaks(energy=np.arange(10.0)).fit(np.ones((2, 64)))


def test_inverse_transform_and_decompose_shapes_checked():
    est = ESPRITPeaks(max_peaks=2).fit(np.ones((2, 64)))
    with pytest.raises(ValueError, match="features"):
        est.inverse_transform(np.zeros((1, 5)))
    with pytest.raises(ValueError, match="n_peaks column"):
        est.inverse_transform(np.full((1, 14), 3.0))
    with pytest.raises(ValueError, match="one spectrum"):
        est.decompose(np.ones((2, 64)))


# ---------------------------------------------------------------------------
# invariances of the decomposition
# ---------------------------------------------------------------------------


@given(
    seed=st.integers(0, 2**31 - 1),
    shift=st.floats(-500, 500),
    step=st.floats(0.05, 2.0),
    gain=st.floats(1e-3, 1e3),
)
def test_energy_affine_and_intensity_scale_equivariance(seed, shift, step, gain):
    # positions follow the energy axis, widths scale with the step, areas
    # with step and intensity; the peak count does not change
    X, _ = make_lorentzian_peaks(2, 128, n_peaks=(1, 3), snr=200, random_state=seed)
    base = ESPRITPeaks(max_peaks=4).fit(X).transform(X)
    energy = shift + step * np.arange(128)
    out = ESPRITPeaks(max_peaks=4, energy=energy).fit(X).transform(gain * X)
    np.testing.assert_array_equal(out[:, -1], base[:, -1])
    k = 3 * 4
    used = np.arange(4)[None, :] < base[:, -1:]
    np.testing.assert_allclose(
        np.where(used, out[:, 0:k:3], 0),
        np.where(used, shift + step * base[:, 0:k:3], 0),
        rtol=1e-7,
        atol=1e-7 * step,
    )
    np.testing.assert_allclose(out[:, 1:k:3], step * base[:, 1:k:3], rtol=1e-7)
    np.testing.assert_allclose(
        out[:, 2:k:3], gain * step * base[:, 2:k:3], rtol=1e-7, atol=1e-12
    )


@given(n_peaks=st.integers(1, 10), seed=st.integers(0, 2**31 - 1))
def test_noiseless_plain_lorentzians_cut_by_the_window(n_peaks, seed):
    # plain Lorentzians (tails cut by the window), centres 5 half-widths
    # from the ends: the count is right and the refined peaks are exact to
    # about 1e-6 (the truncated tails cost ESPRIT alone about 1e-3)
    X, truth = make_lorentzian_peaks(
        1,
        256,
        n_peaks=n_peaks,
        width_range=(2.0, 6.0),
        min_separation=1.0,
        edge_margin=5.0,
        random_state=seed,
    )
    pos, wid, area, count = _match_errors(ESPRITPeaks().fit(X), X, truth)
    assert count[0] == n_peaks
    sl = slice(0, n_peaks)
    np.testing.assert_allclose(
        (pos[0, sl] - truth.positions[0]) / truth.widths[0], 0, atol=1e-5
    )
    np.testing.assert_allclose(wid[0, sl], truth.widths[0], rtol=1e-5)
    np.testing.assert_allclose(area[0, sl], truth.areas[0], rtol=1e-5)


# ---------------------------------------------------------------------------
# the stages on their own (channel units)
# ---------------------------------------------------------------------------


def _options(**changes):
    from skspectra.peaks._esprit import EspritOptions

    options = EspritOptions(
        n_peaks="auto",
        order_selection="threshold",
        threshold=1e-6,
        n_lags=26,
        min_width=0.5,
        max_width=64.0,
        min_significance=3.0,
    )
    return options._replace(**changes)


def test_esprit_stage_alone_is_exact_on_the_model_class():
    from skspectra.peaks._esprit import _esprit_stage

    X, truth = make_lorentzian_peaks(
        4, 256, n_peaks=3, periodic=True, min_separation=1.5, random_state=7
    )
    X = np.vstack([X, np.full((1, 256), 2.5)])  # a flat row has no peaks
    fit = _esprit_stage(X, _options())
    np.testing.assert_array_equal(fit.rows, [0, 1, 2, 3])
    for i in range(4):
        k = fit.keep[i]
        order = np.argsort(fit.x[i, k])
        np.testing.assert_allclose(fit.x[i, k][order], truth.positions[i], rtol=1e-8)
        np.testing.assert_allclose(fit.g[i, k][order], truth.widths[i], rtol=1e-8)
        np.testing.assert_allclose(fit.a[i, k][order], truth.areas[i], rtol=1e-8)
    assert _esprit_stage(np.ones((3, 256)), _options()) is None


def test_refinement_steps_never_worsen_the_fit():
    # a Gauss-Newton step is taken only where it lowers the residual of plain
    # Lorentzians plus a constant, and the residual reported is that of the
    # parameters returned
    from skspectra.peaks._esprit import _esprit_stage, _refine_plain

    X, _ = make_lorentzian_peaks(20, 512, n_peaks=(2, 5), snr=50, random_state=2)
    X = X + 0.7
    fit = _esprit_stage(X, _options(order_selection="mdl"))
    assert fit.rows.size == X.shape[0]
    start = np.empty(X.shape[0])
    x, g, a, cost, t_value, _ = _refine_plain(
        X, fit.x, fit.g, fit.a, fit.keep, n_iter=3, start_cost=start
    )
    assert np.all(cost <= start)
    assert np.any(cost < start)
    r = X - lorentzian(np.arange(512.0), np.where(fit.keep, x, np.nan), g, a)
    r -= r.mean(axis=1, keepdims=True)
    # the best constant for the returned peaks fits at least as well
    rss = np.einsum("bn,bn->b", r, r)
    assert np.all(rss <= cost * (1 + 1e-12))
    np.testing.assert_allclose(rss, cost, rtol=1e-6)
    assert np.all(t_value[fit.keep] > 0)


def test_plain_jacobian_matches_finite_differences():
    # the model without steps (as the plain refinement evaluates it):
    # positions, half-widths, areas, then the constant
    from skspectra.peaks._edges import _model_and_jacobian

    rng = np.random.default_rng(0)
    K, N = 3, 64
    n = np.arange(N, dtype=np.float64)[None, None, :]
    keep = np.ones((2, K), dtype=bool)
    owner, C, H = np.zeros((2, 0), dtype=np.intp), np.eye(0), np.zeros((2, 0))
    p0 = np.hstack(
        [
            rng.uniform(10.0, 50.0, (2, K)),
            rng.uniform(2.0, 5.0, (2, K)),
            rng.uniform(1.0, 3.0, (2, K)),
            np.full((2, 1), 0.3),
        ]
    )

    def split(p):
        return p[:, :K], p[:, K : 2 * K], p[:, 2 * K : 3 * K], p[:, -1]

    def model(p):
        x, g, a, c = split(p)
        return lorentzian(np.arange(N, dtype=np.float64), x, g, a) + c[:, None]

    x, g, a, c = split(p0)
    m, J = _model_and_jacobian(n, x, g, a, keep, c, H, owner, C)
    np.testing.assert_allclose(m, model(p0), rtol=1e-12)
    h = 1e-6
    for j in range(3 * K + 1):
        dp = np.zeros_like(p0)
        dp[:, j] = h
        numeric = (model(p0 + dp) - model(p0 - dp)) / (2 * h)
        np.testing.assert_allclose(J[:, j], numeric, rtol=1e-6, atol=1e-8)


def test_fixed_count_is_exact_on_noisy_spectra():
    # more peaks asked for than there are: ESPRIT's extra candidates that
    # the refinement invalidates are replaced from higher model orders
    X, truth = make_lorentzian_peaks(60, 256, n_peaks=(1, 6), snr=30, random_state=3)
    for k in (1, 3, 6):
        out = ESPRITPeaks(n_peaks=k, max_peaks=8).fit(X).transform(X)
        np.testing.assert_array_equal(out[:, -1], k)
        pos, wid, area = (
            out[:, 0 : 3 * k : 3],
            out[:, 1 : 3 * k : 3],
            out[:, 2 : 3 * k : 3],
        )
        assert np.all((pos >= 0) & (pos <= 255) & (wid > 0) & (area > 0))
