"""The NumPy network: gradients against finite differences, Adam descent."""

import numpy as np
import pytest

from skspectra.neural_network._mlp import (
    Adam,
    forward,
    gradients,
    init_network,
)


def _loss(X, y, coefs, intercepts, activation, alpha):
    out = forward(X, coefs, intercepts, activation)[-1]
    d = out - y
    data = 0.5 * np.sum(d * d) / d.size
    return data + 0.5 * alpha * sum(np.sum(W * W) for W in coefs)


@pytest.mark.parametrize("activation", ["relu", "elu", "tanh"])
def test_gradients_match_finite_differences(activation):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(7, 5))
    y = rng.normal(size=(7, 2))
    coefs, intercepts = init_network([5, 6, 4, 2], activation, rng, np.float64)
    # move intercepts off zero so that no unit sits at the ReLU kink
    for b in intercepts:
        b += rng.normal(scale=0.3, size=b.shape)
    alpha = 0.01
    acts = forward(X, coefs, intercepts, activation)
    loss, gc, gi = gradients(acts, y, coefs, activation, alpha)
    penalty = 0.5 * alpha * sum(np.sum(W * W) for W in coefs)
    assert loss + penalty == pytest.approx(
        _loss(X, y, coefs, intercepts, activation, alpha)
    )
    h = 1e-6
    for params, grads in ((coefs, gc), (intercepts, gi)):
        for p, g in zip(params, grads, strict=True):
            num = np.empty_like(p)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + h
                up = _loss(X, y, coefs, intercepts, activation, alpha)
                p[idx] = old - h
                down = _loss(X, y, coefs, intercepts, activation, alpha)
                p[idx] = old
                num[idx] = (up - down) / (2 * h)
            np.testing.assert_allclose(g, num, rtol=1e-4, atol=1e-7)


def test_forward_keeps_dtype_float32():
    rng = np.random.default_rng(0)
    coefs, intercepts = init_network([4, 3, 1], "elu", rng)
    acts = forward(rng.normal(size=(2, 4)).astype(np.float32), coefs, intercepts, "elu")
    assert all(a.dtype == np.float32 for a in acts)


def test_adam_descends_to_least_squares_solution():
    # a network with no hidden layer is linear regression: Adam must reach
    # the least-squares coefficients
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    w_true = np.array([[1.0], [-2.0], [0.5]])
    y = X @ w_true + 0.3
    coefs, intercepts = init_network([3, 1], "relu", rng, np.float64)
    opt = Adam(coefs + intercepts, learning_rate=0.05)
    for _ in range(2000):
        acts = forward(X, coefs, intercepts, "relu")
        _, gc, gi = gradients(acts, y, coefs, "relu", 0.0)
        opt.step(gc + gi)
    np.testing.assert_allclose(coefs[0], w_true, atol=1e-3)
    np.testing.assert_allclose(intercepts[0], [0.3], atol=1e-3)
