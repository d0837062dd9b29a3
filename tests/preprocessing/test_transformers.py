"""Properties of the preprocessing transformers and functions, from the maths."""

import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import erf
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from skspectra.preprocessing import (
    EdgeAligner,
    EnergyCrop,
    PowerLawBackground,
    SavitzkyGolay,
    SpectrumNormalizer,
    XANESNormalizer,
    edge_energy,
    normalize_onto_grid,
    resample_spectra,
)
from skspectra.preprocessing._edge import _smooth_rows

E = np.linspace(6500.0, 6700.0, 201)


def synthetic_xanes(e0, step, slope=2e-4, offset=0.4, width=1.5, energy=E):
    """Pre-edge line + erf edge of height ``step`` + a white line."""
    edge = 0.5 * (1 + erf((energy - e0) / width))
    white = 0.3 * np.exp(-0.5 * ((energy - e0 - 8) / 3) ** 2)
    return offset + slope * (energy - energy[0]) + step * (edge + white * edge)


def xanes_batch(rng, n=6):
    e0 = rng.uniform(6540, 6560, n)
    step = rng.uniform(0.5, 3.0, n)
    X = np.array([synthetic_xanes(a, b) for a, b in zip(e0, step, strict=True)])
    return X, e0, step


positive_spectra = arrays(
    np.float64,
    st.tuples(st.integers(1, 5), st.integers(3, 30)),
    elements=st.floats(0.1, 1e4, allow_nan=False),
)
float_dtypes = st.sampled_from([np.float32, np.float64])


# --- resample_spectra ------------------------------------------------------


@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(1, 4), st.integers(2, 25)),
        elements=st.floats(-1e3, 1e3, allow_nan=False),
    ),
    method=st.sampled_from(["pchip", "linear"]),
    dtype=float_dtypes,
)
def test_resample_onto_same_grid_is_identity(X, method, dtype):
    X = X.astype(dtype)
    energy = np.cumsum(np.linspace(0.5, 2.0, X.shape[1])) + 100.0
    before = X.copy()
    out = resample_spectra(energy, list(X), energy, method=method)
    np.testing.assert_array_equal(out, X)
    assert out.dtype == dtype
    np.testing.assert_array_equal(X, before)


def test_resample_ragged_exact_on_polynomials():
    # linear interpolation is exact on lines; PCHIP is exact on lines too
    energies = [
        np.linspace(0, 10, 11),
        np.sort(np.random.default_rng(0).uniform(0, 10, 30)),
    ]
    energies[1][[0, -1]] = [0.0, 10.0]
    spectra = [3 * e - 1 for e in energies]
    out_grid = np.linspace(0.5, 9.5, 40)
    for method in ["linear", "pchip"]:
        X = resample_spectra(energies, spectra, out_grid, method=method)
        np.testing.assert_allclose(X, np.tile(3 * out_grid - 1, (2, 1)), atol=1e-10)


@pytest.mark.parametrize("method", ["pchip", "linear"])
def test_resample_shared_axis_equals_one_by_one(method):
    rng = np.random.default_rng(1)
    energy = np.sort(rng.uniform(0, 10, 40))
    Y = rng.normal(size=(5, 40))
    grid = np.linspace(energy[0], energy[-1], 77)
    batched = resample_spectra(energy, Y, grid, method=method)
    single = resample_spectra([energy] * 5, list(Y), grid, method=method)
    np.testing.assert_allclose(batched, single, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="every spectrum: energy_out reaches"):
        resample_spectra(energy, Y, grid + 1.0, method=method)
    with pytest.raises(ValueError, match="spectrum 3 contains NaN"):
        Y[3, 7] = np.inf
        resample_spectra(energy, Y, grid, method=method)


def test_resample_pchip_does_not_overshoot():
    # a step: PCHIP stays within the data range, a cubic spline would ring
    e = np.arange(10.0)
    y = (e >= 5).astype(float)
    X = resample_spectra([e], [y], np.linspace(0, 9, 200))
    assert X.min() >= 0.0 and X.max() <= 1.0
    assert np.all(np.diff(X[0]) >= 0)  # monotone data stay monotone


def test_resample_errors_name_the_spectrum():
    good = np.arange(5.0)
    with pytest.raises(ValueError, match="spectrum 1: energy must be strictly"):
        resample_spectra([good, good[::-1]], [good, good], good)
    with pytest.raises(ValueError, match="spectrum 1 contains NaN"):
        resample_spectra([good, good], [good, np.r_[good[:4], np.nan]], good)
    with pytest.raises(ValueError, match="spectrum 0: energy_out reaches down to -1"):
        resample_spectra([good], [good], [-1.0, 2.0])
    out = resample_spectra([good], [good], [-1.0, 2.0, 5.0], fill_value=np.nan)
    assert np.isnan(out[0, 0]) and out[0, 1] == 2.0 and np.isnan(out[0, 2])
    with pytest.raises(ValueError, match="spectrum 0: energy has 5 values but"):
        resample_spectra([good], [good[:3]], good)
    with pytest.raises(ValueError, match="method must be one of"):
        resample_spectra([good], [good], good, method="cubic")


# --- SpectrumNormalizer ----------------------------------------------------


@given(X=positive_spectra, norm=st.sampled_from(["l2", "area", "max", "minmax"]))
def test_spectrum_normalizer_is_idempotent(X, norm):
    if norm == "minmax":
        X[:, 0] += 1.0  # a non-constant spectrum
    energy = np.linspace(1.0, 2.0, X.shape[1]) ** 2
    t = SpectrumNormalizer(norm=norm, energy=energy).fit(X)
    once = t.transform(X)
    np.testing.assert_allclose(t.transform(once), once, rtol=1e-10, atol=1e-12)


@given(X=positive_spectra, dtype=float_dtypes)
def test_spectrum_normalizer_values_and_dtype(X, dtype):
    X = X.astype(dtype)
    before = X.copy()
    energy = np.linspace(0.0, 3.0, X.shape[1])
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    for norm, check in [
        ("l2", lambda Z: np.linalg.norm(Z, axis=1)),
        ("max", lambda Z: Z.max(axis=1)),
        ("area", lambda Z: np.trapezoid(Z.astype(float), energy, axis=1)),
    ]:
        Z = SpectrumNormalizer(norm=norm, energy=energy).fit_transform(X)
        assert Z.dtype == dtype and Z.shape == X.shape
        np.testing.assert_allclose(check(Z), 1.0, rtol=rtol)
    np.testing.assert_array_equal(X, before)


def test_spectrum_normalizer_errors_name_the_spectrum():
    X = np.array([[1.0, 2.0, 3.0], [-1.0, -2.0, -1.0]])
    with pytest.raises(ValueError, match="spectrum 1: the maximum is -1"):
        SpectrumNormalizer(norm="max").fit_transform(X)
    with pytest.raises(ValueError, match="spectrum 1: the area is"):
        SpectrumNormalizer(norm="area").fit_transform(X)
    X[1] = 2.0
    with pytest.raises(ValueError, match="spectrum 1: the range max - min is 0"):
        SpectrumNormalizer(norm="minmax").fit_transform(X)
    X[1, 2] = np.nan
    with pytest.raises(ValueError, match="spectrum 1 contains NaN or inf"):
        SpectrumNormalizer().fit(X)
    # a dead pixel stays zero under L2
    out = SpectrumNormalizer().fit_transform(np.array([[0.0, 0.0], [3.0, 4.0]]))
    np.testing.assert_allclose(out, [[0, 0], [0.6, 0.8]])


# --- XANESNormalizer -------------------------------------------------------


def test_xanes_normalizer_recovers_e0_and_step():
    rng = np.random.default_rng(0)
    X, e0, step = xanes_batch(rng)
    t = XANESNormalizer(energy=E, pre_edge_range=(-40, -15), post_edge_range=(25, 140))
    params = t.fit(X).edge_parameters(X)
    # the derivative maximum of an erf edge with a white line above it lies
    # within a fraction of the 1 eV grid step of the edge centre
    np.testing.assert_allclose(params["e0"], e0, atol=0.6)
    np.testing.assert_allclose(params["edge_step"], step, rtol=0.02)
    Xn = t.transform(X)
    pre = E < e0.min() - 15
    post = E > e0.max() + 40
    np.testing.assert_allclose(Xn[:, pre], 0.0, atol=1e-6)
    np.testing.assert_allclose(Xn[:, post], 1.0, atol=0.02)


@given(
    seed=st.integers(0, 10_000),
    dtype=float_dtypes,
    ranges=st.sampled_from([(None, None), ((-40, -15), (25, 140))]),
)
def test_xanes_normalizer_is_idempotent_and_keeps_dtype(seed, dtype, ranges):
    X, _, _ = xanes_batch(np.random.default_rng(seed), n=3)
    X = X.astype(dtype)
    before = X.copy()
    t = XANESNormalizer(energy=E, pre_edge_range=ranges[0], post_edge_range=ranges[1])
    once = t.fit_transform(X)
    assert once.dtype == dtype and once.shape == X.shape
    atol = 1e-3 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(t.transform(once), once, atol=atol)
    np.testing.assert_array_equal(X, before)


@given(seed=st.integers(0, 10_000), scale=st.floats(0.01, 100), shift=st.floats(-5, 5))
def test_xanes_normalizer_invariant_to_affine_background(seed, scale, shift):
    # mu -> a*mu + b + c*E gives the same normalised spectrum (and E0)
    X, _, _ = xanes_batch(np.random.default_rng(seed), n=2)
    t = XANESNormalizer(energy=E)
    ref = t.fit_transform(X)
    Y = scale * X + shift + 1e-3 * (E - 6600)
    np.testing.assert_allclose(t.transform(Y), ref, atol=1e-8)


def test_normalize_onto_grid_is_normalizer_then_resampling():
    X, e0, _ = xanes_batch(np.random.default_rng(2), n=1)
    mu = X[0]
    grid = np.arange(E[0] + 10.5, E[-1] - 10.0, 0.5)
    # on the spectrum's own energies: normalise, then resample onto the grid
    norm = XANESNormalizer(energy=E, e0_range=(e0[0] - 5, e0[0] + 5))
    expected = resample_spectra(E, norm.fit_transform(X), grid)[0]
    out = normalize_onto_grid(E, mu, grid, e0_range=(e0[0] - 5, e0[0] + 5))
    np.testing.assert_array_equal(out, expected)
    # on a normalisation grid equal to the output grid: resample, then normalise
    on_grid = resample_spectra(E, X, grid)
    expected = XANESNormalizer(energy=grid).fit_transform(on_grid)[0]
    out = normalize_onto_grid(E, mu, grid, normalization_grid=grid)
    np.testing.assert_array_equal(out, expected)
    with pytest.raises(ValueError, match="edge step"):
        normalize_onto_grid(E, mu[::-1], grid)


def test_xanes_normalizer_errors():
    X, _, _ = xanes_batch(np.random.default_rng(1), n=3)
    with pytest.raises(ValueError, match="e0=7000 lies outside the data"):
        XANESNormalizer(energy=E, e0=7000.0).fit(X)
    # a pre-edge window of 0.5 eV on a 1 eV grid holds one point
    t = XANESNormalizer(energy=E, pre_edge_range=(-30.2, -29.8)).fit(X)
    with pytest.raises(ValueError, match=r"spectrum 0: the pre-edge range .* holds"):
        t.transform(X)
    t = XANESNormalizer(energy=E, post_edge_range=(300.0, 400.0)).fit(X)
    with pytest.raises(ValueError, match=r"spectrum 0: the post-edge range .* holds 0"):
        t.transform(X)
    Y = X.copy()
    Y[2] = -Y[2]  # inverted: an edge going down
    with pytest.raises(ValueError, match="spectrum 2: the edge step .* not positive"):
        XANESNormalizer(energy=E, e0=6550.0).fit(X).transform(Y)
    Y = X.copy()
    Y[1, 50] = np.nan
    with pytest.raises(ValueError, match="spectrum 1 contains NaN"):
        XANESNormalizer(energy=E).fit(X).transform(Y)
    with pytest.raises(ValueError, match="energy must be strictly increasing"):
        XANESNormalizer(energy=E[::-1]).fit(X)
    with pytest.raises(ValueError, match="energy has 201 values but the spectra"):
        XANESNormalizer(energy=E).fit(X[:, :-1])


# --- EnergyCrop ------------------------------------------------------------


@given(
    X=arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(2, 30))),
    lo=st.floats(0, 1),
    width=st.floats(0, 1),
)
def test_energy_crop_keeps_the_window(X, lo, width):
    X = np.nan_to_num(X, nan=0.0, posinf=1.0, neginf=-1.0)
    energy = np.linspace(0, 1, X.shape[1])
    hi = lo + width
    keep = (energy >= lo) & (energy <= hi)
    crop = EnergyCrop(energy=energy, e_min=lo, e_max=hi)
    if not keep.any():
        with pytest.raises(ValueError, match="no channel lies in"):
            crop.fit(X)
        return
    np.testing.assert_array_equal(crop.fit_transform(X), X[:, keep])
    np.testing.assert_array_equal(crop.energy_out_, energy[keep])


def test_energy_crop_feature_names_pandas():
    pd = pytest.importorskip("pandas")
    energy = np.array([1.0, 2.0, 3.0, 4.0])
    df = pd.DataFrame(np.eye(4), columns=[f"E{e:g}" for e in energy])
    crop = EnergyCrop(energy=energy, e_min=2, e_max=3).set_output(transform="pandas")
    out = crop.fit_transform(df)
    assert list(out.columns) == ["E2", "E3"]


def test_energy_crop_is_a_selector():
    # get_support, inverse_transform and feature names come from SelectorMixin
    from sklearn.feature_selection import SelectorMixin

    energy = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    X = np.arange(10.0).reshape(2, 5)
    crop = EnergyCrop(energy=energy, e_min=2, e_max=4).fit(X)
    assert isinstance(crop, SelectorMixin)
    np.testing.assert_array_equal(crop.get_support(), [False, True, True, True, False])
    np.testing.assert_array_equal(crop.get_support(indices=True), [1, 2, 3])
    np.testing.assert_array_equal(crop.get_support(), crop.mask_)
    back = crop.inverse_transform(crop.transform(X))
    np.testing.assert_array_equal(back[:, crop.mask_], X[:, crop.mask_])
    np.testing.assert_array_equal(back[:, ~crop.mask_], 0.0)
    assert crop.get_feature_names_out().tolist() == ["x1", "x2", "x3"]
    with pytest.raises(ValueError, match="different shape"):
        crop.inverse_transform(np.ones((1, 2)))
    with pytest.raises(NotFittedError):
        EnergyCrop().get_support()


# --- SavitzkyGolay ---------------------------------------------------------


@given(
    coefs=arrays(np.float64, 3, elements=st.floats(-5, 5)),
    half=st.integers(1, 5),
    dtype=float_dtypes,
)
def test_savgol_keeps_polynomials_and_differentiates_them(coefs, half, dtype):
    energy = np.linspace(-2.0, 2.0, 41)
    y = np.polyval(coefs, energy)
    X = np.array([y, 2 * y]).astype(dtype)
    w = 2 * half + 1
    rtol = 1e-4 if dtype == np.float32 else 1e-9
    scale = 1 + np.abs(y).max()
    smooth = SavitzkyGolay(window_length=w, polyorder=2).fit_transform(X)
    assert smooth.dtype == dtype
    np.testing.assert_allclose(smooth, X, atol=rtol * scale * 10)
    d1 = SavitzkyGolay(window_length=w, polyorder=2, deriv=1, energy=energy)
    np.testing.assert_allclose(
        d1.fit_transform(X)[0],
        np.polyval(np.polyder(coefs), energy),
        atol=rtol * scale * 50,
    )


def test_savgol_errors():
    X = np.ones((2, 5))
    with pytest.raises(ValueError, match="window_length must be odd"):
        SavitzkyGolay(window_length=4).fit(X)
    with pytest.raises(ValueError, match="needs at least window_length=7"):
        SavitzkyGolay().fit(X)
    with pytest.raises(ValueError, match="must be a uniform grid"):
        SavitzkyGolay(window_length=3, deriv=1, energy=[0, 1, 2, 4, 8]).fit(X)


# --- EdgeAligner / edge_energy ---------------------------------------------


@given(shifts=arrays(np.float64, 4, elements=st.floats(-15, 15)))
def test_edge_aligner_recovers_shifts(shifts):
    X = np.array([synthetic_xanes(6550.0 + s, 1.0) for s in shifts])
    aligner = EdgeAligner(energy=E, target_energy=6550.0).fit(X)
    # the derivative maximum sits at the edge (the white line, 8 eV above,
    # pulls it slightly, the same for every spectrum)
    np.testing.assert_allclose(
        aligner.shifts(X) - shifts, aligner.shifts(X)[0] - shifts[0], atol=0.15
    )
    xc = EdgeAligner(energy=E, method="xcorr", reference=synthetic_xanes(6550.0, 1.0))
    np.testing.assert_allclose(xc.fit(X).shifts(X), shifts, atol=0.15)
    aligned = xc.transform(X)
    inner = (E > 6530) & (E < 6670)
    ref = synthetic_xanes(6550.0, 1.0)
    assert np.abs(aligned[:, inner] - ref[inner]).max() < 0.05


def test_edge_aligner_learns_median_and_limits_shifts():
    X = np.array([synthetic_xanes(6540.0 + d, 1.0) for d in (0.0, 5.0, 12.0)])
    aligner = EdgeAligner(energy=E, method="half_height").fit(X)
    edges = edge_energy(X, E, method="half_height")
    assert aligner.target_energy_ == pytest.approx(np.median(edges))
    with pytest.raises(ValueError, match="spectrum 0: its edge would move by -4.99"):
        EdgeAligner(energy=E, method="half_height", max_shift=3.0).fit(X).transform(X)
    with pytest.raises(ValueError, match="reference is for method='xcorr'"):
        EdgeAligner(energy=E, reference=X[0]).fit(X)
    with pytest.raises(ValueError, match="target_energy is for the edge methods"):
        EdgeAligner(energy=E, method="xcorr", target_energy=6550.0).fit(X)
    with pytest.raises(ValueError, match="reference has 3 channels"):
        EdgeAligner(energy=E, method="xcorr", reference=[1, 2, 3]).fit(X)


def _exact_smoothing(D, energy, sigma):
    """Row-normalised truncated Gaussian average, one channel at a time."""
    out = np.empty_like(D)
    for i, e in enumerate(energy):
        near = np.abs(energy - e) <= 4.0 * sigma
        w = np.exp(-0.5 * ((energy[near] - e) / sigma) ** 2)
        out[:, i] = D[:, near] @ w / w.sum()
    return out


@pytest.mark.parametrize("sigma", [0.05, 0.5, 3.0, 1e4])
@pytest.mark.parametrize("grid", ["uniform", "non_uniform"])
def test_edge_smoothing_matches_the_exact_average_at_every_width(grid, sigma):
    # narrow windows are summed exactly, wide ones through the FFT (on the
    # channels of a uniform grid, on spread bins otherwise): every path gives
    # the weighted average of the samples within 4 sigma
    rng = np.random.default_rng(0)
    if grid == "uniform":
        energy = np.linspace(6500.0, 6600.0, 1500)
    else:
        energy = np.sort(rng.uniform(6500.0, 6600.0, 1500))
    D = rng.standard_normal((2, energy.size)) + np.exp(-(((energy - 6550) / 5) ** 2))
    got = _smooth_rows(D, energy, sigma)
    want = _exact_smoothing(D, energy, sigma)
    # the spreading onto bins widens the Gaussian by a relative 4e-5
    atol = 1e-10 if grid == "uniform" else 2e-3
    np.testing.assert_allclose(got, want, rtol=0, atol=atol * np.abs(want).max())


@pytest.mark.parametrize("grid", ["uniform", "non_uniform"])
@pytest.mark.parametrize("cls", [XANESNormalizer, EdgeAligner])
def test_edge_search_memory_is_linear_in_channels(cls, grid):
    # 3 spectra of 10**5 channels over 200 eV: the smoothing window holds
    # 2000 channels, so an operator with one entry per pair in the window
    # would need several GB
    n = 100_000
    energy = np.linspace(6500.0, 6700.0, n)
    if grid == "non_uniform":
        energy = energy + 0.4 * (energy[1] - energy[0]) * np.sin(np.arange(n))
    X = np.array([synthetic_xanes(e0, 1.0, energy=energy) for e0 in (6550, 6560, 6570)])
    tracemalloc.start()
    try:
        cls(energy=energy).fit_transform(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 * X.nbytes, f"peak {peak / 1e6:.0f} MB"


# --- PowerLawBackground ------------------------------------------------------


@given(
    r=st.floats(1.5, 6.0),
    log_a=st.floats(5, 25),
    method=st.sampled_from(["two_area", "least_squares"]),
)
def test_power_law_background_is_exact_on_a_power_law(r, log_a, method):
    energy = np.linspace(300.0, 700.0, 401)
    edge = np.where(energy > 450, 0.2 * np.exp(log_a) * 450.0**-r, 0.0)
    X = np.array([np.exp(log_a) * energy**-r + edge])
    bg = PowerLawBackground(energy=energy, fit_range=(320, 440), method=method).fit(X)
    params = bg.background_parameters(X)
    assert params["exponent"][0] == pytest.approx(r, rel=2e-3)
    out = bg.transform(X)
    np.testing.assert_allclose(out[0], edge, atol=2e-3 * X.max())


def test_power_law_background_two_area_tolerates_nonpositive_channels():
    rng = np.random.default_rng(0)
    energy = np.linspace(600.0, 700.0, 201)
    clean = 1e8 * energy**-3.0
    X = (clean + rng.normal(0, 0.5 * clean.mean(), energy.size))[None]
    assert (X[0, :100] <= 0).any()  # some noisy channels at or below zero
    bg = PowerLawBackground(energy=energy, fit_range=(600, 650)).fit(X)
    assert np.isfinite(bg.transform(X)).all()
    with pytest.raises(ValueError, match="spectrum 0: method='least_squares' needs"):
        PowerLawBackground(
            energy=energy, fit_range=(600, 650), method="least_squares"
        ).fit(X).transform(X)


def test_power_law_background_errors_and_fixed_exponent():
    energy = np.linspace(100.0, 200.0, 101)
    X = np.vstack([1e6 * energy**-2.5, -np.ones(101)])
    bg = PowerLawBackground(energy=energy, fit_range=(100, 140)).fit(X)
    with pytest.raises(ValueError, match="spectrum 1: the counts in the two halves"):
        bg.transform(X)
    with pytest.raises(ValueError, match="holds 0 channels"):
        PowerLawBackground(energy=energy, fit_range=(10, 20)).fit(X)
    with pytest.raises(ValueError, match="energy must be positive"):
        PowerLawBackground(energy=energy - 150).fit(X)
    fixed = PowerLawBackground(energy=energy, fit_range=(100, 140), exponent=2.5)
    params = fixed.fit(X).background_parameters(X)
    np.testing.assert_allclose(
        params["amplitude"],
        [1e6, -(energy[:41] ** -2.5).sum() / (energy[:41] ** -5).sum()],
        rtol=1e-9,
    )


# --- all transformers --------------------------------------------------------


@pytest.mark.parametrize(
    "transformer",
    [
        SpectrumNormalizer(norm="area", energy=E),
        XANESNormalizer(energy=E),
        EnergyCrop(energy=E, e_min=6520, e_max=6600),
        SavitzkyGolay(window_length=9, polyorder=3),
        EdgeAligner(energy=E),
        EdgeAligner(energy=E, method="xcorr"),
        PowerLawBackground(energy=E, fit_range=(6500, 6530)),
    ],
    ids=lambda t: type(t).__name__,
)
def test_transformers_never_write_into_inputs(transformer):
    X, _, _ = xanes_batch(np.random.default_rng(3), n=4)
    X.setflags(write=False)  # any write would raise
    for dtype in (np.float64, np.float32):
        Xd = X.astype(dtype)
        Xd.setflags(write=False)
        out = clone(transformer).fit(Xd).transform(Xd)
        assert out.dtype == dtype and out.shape[0] == 4
        assert not np.shares_memory(out, Xd)
