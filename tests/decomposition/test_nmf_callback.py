"""The ``callback`` parameter of the NMF estimators: called once per
iteration with the objective, kept by ``clone``."""

import numpy as np
import pytest
from sklearn.base import clone

from skspectra.datasets import make_spectrum_image
from skspectra.decomposition import PoissonNMF, SparseNMF


@pytest.mark.parametrize("cls", [SparseNMF, PoissonNMF])
def test_callback_sees_every_iteration_and_survives_clone(cls):
    image, _ = make_spectrum_image(
        2, shape=(8, 8), n_channels=32, counts_per_pixel=200, random_state=0
    )
    calls = []
    model = cls(
        n_components=3,
        max_iter=15,
        tol=0,
        random_state=0,
        callback=lambda it, J: calls.append((it, J)),
    )
    copy = clone(model)
    assert copy.get_params()["callback"] is model.callback
    copy.fit_image(image)
    assert [it for it, _ in calls] == list(range(1, copy.n_iter_ + 1))
    # the objective reported is the one recorded in objective_history_
    objectives = np.array([J for _, J in calls])
    np.testing.assert_allclose(objectives, copy.objective_history_[: len(calls)])


def test_callback_must_be_callable():
    X = np.ones((4, 5))
    with pytest.raises(ValueError, match="callback"):
        SparseNMF(callback="print").fit(X)
