import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from skspectra.utils import check_energy, check_same_channels, fold, unfold


def test_check_energy_default_is_channel_index():
    np.testing.assert_array_equal(check_energy(None, 4), [0.0, 1.0, 2.0, 3.0])


def test_check_energy_returns_a_copy():
    energy = np.array([1.0, 2.0, 3.0])
    out = check_energy(energy, 3)
    out[0] = 100.0
    assert energy[0] == 1.0


@pytest.mark.parametrize(
    "energy, n, message",
    [
        ([1.0, 2.0], 3, "has 2 values but the spectra have 3 channels"),
        ([[1.0, 2.0]], 2, "must be 1-D"),
        ([1.0, np.nan, 3.0], 3, "NaN or infinite"),
        ([1.0, 1.0, 3.0], 3, "strictly increasing"),
        ([3.0, 2.0, 1.0], 3, "strictly increasing"),
    ],
)
def test_check_energy_errors(energy, n, message):
    with pytest.raises(ValueError, match=message):
        check_energy(energy, n)


def test_check_energy_uniform():
    check_energy(np.linspace(0, 1, 11), 11, uniform=True)
    with pytest.raises(ValueError, match="uniform grid"):
        check_energy([0.0, 1.0, 3.0], 3, uniform=True)


@pytest.mark.parametrize(
    "start, step, digits",
    [
        (357.5, 0.2999999, 7),  # EELS: XPERCHAN 2.999999e-001, "%e" energies
        (-0.4706, 0.01000213, 6),  # EDS in keV written with six digits
    ],
)
def test_check_energy_uniform_accepts_energies_rounded_in_files(start, step, digits):
    exact = start + step * np.arange(2048)
    written = np.array([float(f"{e:.{digits - 1}e}") for e in exact])
    steps = np.diff(written)
    assert steps.max() - steps.min() > 1e-4 * step  # not uniform to 1e-6
    np.testing.assert_array_equal(check_energy(written, 2048, uniform=True), written)


@pytest.mark.parametrize(
    "energy",
    [
        # a XANES-like scan: coarse pre-edge, fine edge
        np.concatenate([np.arange(0.0, 50.0, 5.0), np.arange(50.0, 80.0, 0.5)]),
        # a step that drifts by 1 % across the axis
        np.cumsum(np.linspace(0.3, 0.303, 2048)),
    ],
)
def test_check_energy_uniform_rejects_a_changing_step(energy):
    with pytest.raises(ValueError, match="resample_spectra") as info:
        check_energy(energy, energy.size, uniform=True)
    assert "uniform grid" in str(info.value) and "channel" in str(info.value)


def test_check_energy_uniform_tolerance_is_a_fraction_of_a_step():
    energy = np.arange(10.0)
    energy[4] += 0.2
    check_energy(energy, 10, uniform=True, rtol=0.25)
    with pytest.raises(ValueError, match="channel 4 .* 0.2 steps"):
        check_energy(energy, 10, uniform=True, rtol=0.1)


def test_check_same_channels():
    check_same_channels(np.zeros((1, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="X has 3 channels but Y has 2"):
        check_same_channels(np.zeros((1, 3)), np.zeros((4, 2)))


@given(arrays(np.float64, array_shapes(min_dims=2, max_dims=4, max_side=5)))
def test_fold_unfold_roundtrip(image):
    X = unfold(image)
    assert X.shape == (int(np.prod(image.shape[:-1])), image.shape[-1])
    np.testing.assert_array_equal(fold(X, image.shape[:-1]), image)
    if int(np.prod(image.shape)) != X.shape[0]:  # a full shape is unambiguous
        np.testing.assert_array_equal(fold(X, image.shape), image)


@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5))
def test_unfold_row_order_is_c_order(ny, nx, nc):
    image = np.arange(ny * nx * nc).reshape(ny, nx, nc)
    X = unfold(image)
    for i in range(ny):
        for j in range(nx):
            np.testing.assert_array_equal(X[i * nx + j], image[i, j])


def test_fold_unfold_errors():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        unfold(np.zeros(5))
    with pytest.raises(ValueError, match="Cannot fold 6 rows"):
        fold(np.zeros((6, 2)), (4, 2))
    with pytest.raises(ValueError, match="2-D array"):
        fold(np.zeros(6), (2, 3))


def test_is_dask_array():
    da = pytest.importorskip("dask.array")
    from skspectra.utils.validation import is_dask_array

    assert is_dask_array(da.zeros((4, 3), chunks=2))
    assert not is_dask_array(np.zeros((4, 3)))
    assert not is_dask_array(da.zeros((4, 3), chunks=2).compute())
    assert not is_dask_array(None)


def test_a_measured_eels_axis_is_uniform_for_esprit(shared_data):
    from skspectra.io import read_msa
    from skspectra.peaks import ESPRITPeaks

    # written as 0.2999999 eV per channel, energies rounded to 7 digits
    energy, counts, _ = read_msa(shared_data / "eels" / "srtio3_core_loss.msa")
    assert np.ptp(np.diff(energy)) > 1e-5
    check_energy(energy, energy.size, uniform=True)
    model = ESPRITPeaks(energy=energy).fit(counts[None])
    assert model.decompose(counts)
