"""The demo, and the network on measured V K-edge glass spectra."""

import warnings

import numpy as np
from sklearn.cross_decomposition import PLSRegression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import GroupKFold, KFold, cross_val_predict

from skspectra.neural_network import SpectrumPropertyRegressor
from skspectra.neural_network._demo import (
    load_reference_oxidation,
    load_v_glasses,
    run_demo,
)


def test_demo_runs_without_data():
    lines = []
    run_demo(lines.append, data_dir=None, random_state=0)
    text = "\n".join(lines)
    assert "SNR 5" in text and "skipped" in text
    assert "L2,3-edge" in text  # the paper's task: 10Dq splits the white lines


def test_demo_with_real_data(shared_data):
    lines = []
    run_demo(lines.append, data_dir=shared_data, random_state=0)
    assert any("V K-edge glasses (28 spectra" in line for line in lines)


def test_v_glass_labels_and_spectra(shared_data):
    grid = np.linspace(5455.0, 5530.0, 150)
    X, y = load_v_glasses(shared_data, grid)
    assert X.shape == (28, 150)
    assert y.min() == -8.1 and y.max() == 4.73
    # edge-step normalised: the spectra end near 1 above the edge
    assert np.all(np.abs(X[:, -1] - 1) < 0.3)


def test_dnno_cross_validated_like_pls(shared_data):
    # the continuous oxygen-fugacity label is predicted from the spectrum about
    # as well as by PLS, the usual chemometrics baseline
    X, y = load_v_glasses(shared_data, np.linspace(5455.0, 5530.0, 150))
    cv = KFold(7, shuffle=True, random_state=0)
    net = SpectrumPropertyRegressor(
        hidden_layer_sizes=(32,), n_estimators=3, batch_size=8, alpha=1e-3,
        noise_snr=(20.0, 500.0), random_state=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r2_net = r2_score(y, cross_val_predict(net, X, y, cv=cv))
    r2_pls = r2_score(y, np.ravel(cross_val_predict(PLSRegression(2), X, y, cv=cv)))
    assert r2_net > 0.85, r2_net
    assert r2_net > r2_pls - 0.05, (r2_net, r2_pls)


def test_oxidation_state_of_measured_references(shared_data):
    # leave-compounds-out CV over the 3d-metal K-edge references: better than
    # PLS with 3 components
    X, y, groups, elements, _ = load_reference_oxidation(
        shared_data, np.linspace(-15.0, 60.0, 151)
    )
    assert len(y) > 100 and set(elements) >= {"V", "Cr", "Mn", "Fe", "Ni", "Cu"}
    assert np.all(np.abs(X[:, -1] - 1) < 0.5)  # edge-step normalised
    cv = GroupKFold(5)
    net = SpectrumPropertyRegressor(
        hidden_layer_sizes=(32,), n_estimators=2, batch_size=16, alpha=1e-3,
        noise_snr=(20.0, 500.0), random_state=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        p_net = cross_val_predict(net, X, y, cv=cv, groups=groups)
    p_pls = np.ravel(cross_val_predict(PLSRegression(3), X, y, cv=cv, groups=groups))
    r2_net, r2_pls = r2_score(y, p_net), r2_score(y, p_pls)
    assert r2_net > 0.75 and r2_net > r2_pls, (r2_net, r2_pls)
