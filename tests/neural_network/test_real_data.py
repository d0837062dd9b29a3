"""The network on measured K-edge spectra: V glasses and 3d-metal references."""

import warnings

import numpy as np
from sklearn.cross_decomposition import PLSRegression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import GroupKFold, KFold, cross_val_predict

from skspectra.datasets import load_k_edge_references, make_xanes_series
from skspectra.neural_network import SpectrumPropertyRegressor
from skspectra.preprocessing import augment_spectra


def test_dnno_cross_validated_like_pls(shared_data):
    # the continuous oxygen-fugacity label is predicted from the spectrum about
    # as well as by PLS, the usual chemometrics baseline
    glasses = load_k_edge_references(
        shared_data, element="V", target="dNNO", energy_range=(-10.0, 65.0)
    )
    X, y = glasses.X, glasses.target
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
    data = load_k_edge_references(shared_data, energy_range=(-15.0, 60.0))
    X, y, groups, elements = data.X, data.target, data.groups, data.element
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


def test_computed_spectra_help_within_their_model_range(shared_data):
    # make_xanes_series K edges model octahedral ions of valence 2-4: added to
    # the measured references within that range they cost less accuracy on
    # left-out compounds than extrapolated to the references' valences 0-6
    elements = ["V", "Cr", "Mn", "Fe", "Cu"]
    data = load_k_edge_references(
        shared_data, element=elements, energy_range=(-15.0, 60.0)
    )
    X, y, groups, E = data.X, data.target, data.groups, data.energy
    net = SpectrumPropertyRegressor(
        hidden_layer_sizes=(64, 32), n_estimators=2, max_iter=30, alpha=1e-3,
        noise_snr=(50.0, 500.0), calibration_fraction=None, energy=E,
        random_state=0,
    )  # fmt: skip
    mae = {}
    for valence_range in ((2.0, 4.0), (0.0, 6.0)):
        computed = make_xanes_series(
            500, len(E), energy_range=(E[0], E[-1]), edge_energy=7.0,
            valence_range=valence_range, energy_shift=1.5, random_state=0,
        )  # fmt: skip
        errors = []
        for train, test in GroupKFold(5).split(X, y, groups):
            copies = augment_spectra(
                np.tile(X[train], (5, 1)), max_shift=1.5, max_broadening=0.5,
                noise_snr=(50.0, 500.0), energy=E, random_state=0,
            )  # fmt: skip
            X_fit = np.concatenate([computed.data, X[train], copies])
            y_fit = np.concatenate([computed.valence, np.tile(y[train], 6)])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                pred = net.fit(X_fit, y_fit).predict(X[test])
            errors.append(np.abs(pred - y[test]))
        mae[valence_range] = np.concatenate(errors).mean()
    assert mae[(2.0, 4.0)] < mae[(0.0, 6.0)], mae
