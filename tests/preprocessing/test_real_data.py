"""Preprocessing on the real measured spectra of the shared data folder."""

from pathlib import Path

import numpy as np
import pytest
from scipy.signal import find_peaks
from sklearn.model_selection import LeaveOneOut, cross_val_predict
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline

from skspectra.datasets import load_xanes_references
from skspectra.io import read_msa, read_spectrum, read_xdi
from skspectra.preprocessing import (
    EdgeAligner,
    EnergyCrop,
    PowerLawBackground,
    XANESNormalizer,
    edge_energy,
)

REFERENCE = Path(__file__).with_name("larch_pre_edge_reference.npz")


@pytest.fixture(scope="module")
def larch_reference():
    with np.load(REFERENCE) as z:
        ref = {k: z[k] for k in z.files}
    splits = np.cumsum(ref["lengths"])[:-1]
    ref["norms"] = np.split(ref["norm"].astype(np.float64), splits)
    return ref


def _normalise_like_larch(shared_data, ref, i, **kwargs):
    element, name = str(ref["names"][i]).split("/")
    energy, mu, _ = read_xdi(shared_data / "xanes" / "xdi" / element / name)
    pre1, pre2, norm1, norm2 = ref["ranges"][i]
    norm = XANESNormalizer(
        energy=energy,
        pre_edge_range=(pre1, pre2),
        post_edge_range=(norm1, norm2),
        post_edge_degree=int(ref["degree"][i]),
        **kwargs,
    ).fit(mu[None])
    return norm.edge_parameters(mu[None]), norm.transform(mu[None])[0]


def test_xanes_normalizer_agrees_with_larch(shared_data, larch_reference):
    # the Mn, Fe, V and Cr K-edge XDI files, with larch's pre_edge settings
    # and E0 found independently: E0 within 0.5 eV, normalised RMS < 2 %
    ref = larch_reference
    assert len(ref["names"]) >= 80
    de0, rms = [], []
    for i in range(len(ref["names"])):
        params, norm = _normalise_like_larch(shared_data, ref, i)
        de0.append(params["e0"][0] - ref["e0"][i])
        rms.append(np.sqrt(np.mean((norm - ref["norms"][i]) ** 2)))
    de0, rms = np.abs(de0), np.array(rms)
    worst = ref["names"][np.argmax(de0)], ref["names"][np.argmax(rms)]
    assert de0.max() <= 0.5, (de0.max(), worst)
    assert rms.max() < 0.02, (rms.max(), worst)


def test_xanes_normalizer_fit_conventions_match_larch(shared_data, larch_reference):
    # given larch's E0 too, the fitted lines and step are the same: the
    # normalised spectra agree to the float16 precision of the reference
    ref = larch_reference
    for i in range(0, len(ref["names"]), 7):
        params, norm = _normalise_like_larch(shared_data, ref, i, e0=ref["e0"][i])
        assert params["edge_step"][0] == pytest.approx(ref["edge_step"][i], rel=1e-3)
        np.testing.assert_allclose(norm, ref["norms"][i], atol=2e-3)


@pytest.fixture(scope="module")
def mn_xdi(shared_data):
    return load_xanes_references(
        shared_data, element="Mn", source="xdi", energy_grid="common"
    )


def test_half_height_edge_energy_increases_with_valence(mn_xdi):
    X = XANESNormalizer(energy=mn_xdi.energy).fit_transform(mn_xdi.X)
    edge = edge_energy(X, mn_xdi.energy, method="half_height")
    compounds = mn_xdi.labels["compound"]
    order = ["MnO", "Mn3O4", "Mn2O3", "MnO2"]  # Mn 2+, 2.67+, 3+, 4+
    means = [edge[compounds == c].mean() for c in order]
    assert np.all(np.diff(means) > 0.5), means
    # repeated scans of one compound agree far better than compounds differ
    spread = max(np.ptp(edge[compounds == c]) for c in order)
    assert spread < 0.2


def test_pipeline_predicts_mn_oxidation_state(shared_data):
    # every Mn reference of known valence (XDI scans and Athena standards, on
    # one grid; the miscalibrated Athena Mn3O4 left out), leave-one-out
    data = load_xanes_references(shared_data, element="Mn", energy_grid="common")
    keep = ~np.isnan(data.target) & ~np.array(
        [n.endswith(":Mn3O4") for n in data.names]
    )
    X, y = data.X[keep], data.target[keep]
    assert X.shape[0] == 22
    model = make_pipeline(
        XANESNormalizer(energy=data.energy),
        EnergyCrop(energy=data.energy, e_min=6530.0, e_max=6580.0),
        KNeighborsRegressor(n_neighbors=2),
    )
    pred = cross_val_predict(model, X, y, cv=LeaveOneOut())
    mae = np.mean(np.abs(pred - y))
    # the same without edge-step normalisation: raw mu has arbitrary scale
    raw = make_pipeline(
        EnergyCrop(energy=data.energy, e_min=6530.0, e_max=6580.0),
        KNeighborsRegressor(n_neighbors=2),
    )
    mae_raw = np.mean(np.abs(cross_val_predict(raw, X, y, cv=LeaveOneOut()) - y))
    assert mae < 0.15, mae  # measured: 0.09
    assert mae < mae_raw / 3, (mae, mae_raw)  # measured: 0.40


def test_edge_aligner_finds_the_mn3o4_calibration_fault(shared_data):
    data = load_xanes_references(shared_data, element="Mn")
    i_bad = data.names.index("athena_mn_standards.npz:Mn3O4")
    i_good = data.names.index("xdi/Mn/Mn3O4_rt_01.xdi")
    grid = np.arange(6522.0, 6628.0, 0.25)
    from skspectra.preprocessing import resample_spectra

    X = resample_spectra(
        [data.energies[i_bad], data.energies[i_good]],
        [data.spectra[i_bad], data.spectra[i_good]],
        grid,
    )
    # cross-correlation of the derivatives: insensitive to the scale of mu
    aligner = EdgeAligner(energy=grid, method="xcorr", reference=X[1]).fit(X)
    shift = aligner.shifts(X)
    assert shift[0] == pytest.approx(-18.0, abs=1.0)  # its axis is ~18 eV low
    assert shift[1] == pytest.approx(0.0, abs=0.05)
    edges = edge_energy(aligner.transform(X), grid)
    assert abs(edges[0] - edges[1]) < 0.5
    # the edge locator sees the same fault
    by_edge = EdgeAligner(energy=grid, target_energy=edges[1]).fit(X).shifts(X)
    assert by_edge[0] == pytest.approx(shift[0], abs=1.0)


@pytest.mark.parametrize("method", ["two_area", "least_squares"])
def test_power_law_background_srtio3(shared_data, method):
    energy, counts, _ = read_msa(shared_data / "eels" / "srtio3_core_loss.msa")
    window = (420.0, 452.0)
    bg = PowerLawBackground(energy=energy, fit_range=window, method=method)
    residual = bg.fit_transform(counts[None])[0]
    exponent = bg.background_parameters(counts[None])["exponent"][0]
    assert 2.0 < exponent < 5.0  # typical of EELS backgrounds
    inside = (energy >= window[0]) & (energy <= window[1])
    sem = residual[inside].std() / np.sqrt(inside.sum())
    assert abs(residual[inside].mean()) < 2 * sem
    # the Ti L3 and L2 maxima stand on a background-free baseline
    edge = (energy >= 452) & (energy <= 472)
    peaks, _ = find_peaks(residual[edge], prominence=0.02 * residual[edge].max())
    np.testing.assert_allclose(energy[edge][peaks], [461.3, 466.1], atol=0.35)


def test_power_law_background_srtio3_200kv_four_peaks(shared_data):
    pytest.importorskip("rsciio", reason="rosettasciio (the io extra) is absent")
    spec = read_spectrum(shared_data / "eels" / "srtio3_core_loss_200kV.dm3")
    energy, counts = spec.energy, spec.intensity.astype(np.float64)
    window = (400.0, 450.0)
    bg = PowerLawBackground(energy=energy, fit_range=window)
    residual = bg.fit_transform(counts[None])[0]
    inside = (energy >= window[0]) & (energy <= window[1])
    sem = residual[inside].std() / np.sqrt(inside.sum())
    assert abs(residual[inside].mean()) < 2 * sem
    # Ti L3 and L2, each split into t2g and eg by the octahedral field
    edge = (energy >= 452) & (energy <= 466)
    peaks, _ = find_peaks(residual[edge], prominence=0.03 * residual[edge].max())
    found = energy[edge][peaks]
    assert len(found) == 4, found
    np.testing.assert_allclose(found, [454.0, 456.25, 459.5, 461.25], atol=0.5)
    splitting = np.diff(found)[[0, 2]]  # t2g-eg in L3 and in L2
    assert np.all((splitting > 1.5) & (splitting < 3.0))
