"""A small multilayer perceptron in NumPy: forward pass, gradients and Adam.

The network maps ``a_0 = x`` through hidden layers
``a_l = f(a_{l-1} W_l + b_l)`` to a linear output ``y_hat = a_{L-1} W_L + b_L``
and is trained on the loss

    L = 1 / (2 B q) * sum_i ||y_hat_i - y_i||^2 + alpha / 2 * sum_l ||W_l||_F^2

over mini-batches of ``B`` samples with ``q`` outputs.  Activations are
applied in place and their derivatives are computed from the outputs, so a
forward pass stores one array per layer and nothing else.  Everything stays in
the dtype of the parameters (float32 in the estimator).
"""

import numpy as np

ACTIVATIONS = ("relu", "elu", "tanh")


def _activate(z, activation):
    """Apply the activation to ``z`` in place and return it."""
    if activation == "relu":
        np.maximum(z, 0, out=z)
    elif activation == "elu":
        neg = z < 0
        np.expm1(z, out=z, where=neg)
    else:
        np.tanh(z, out=z)
    return z


def _multiply_derivative(delta, a, activation):
    """Multiply ``delta`` in place by f'(z), written in terms of ``a = f(z)``."""
    if activation == "relu":
        delta *= a > 0
    elif activation == "elu":
        # f(z) = exp(z) - 1 for z < 0, so f'(z) = a + 1 there and 1 elsewhere
        np.multiply(delta, a + 1, out=delta, where=a < 0)
    else:
        delta *= 1 - a * a
    return delta


def init_network(layer_sizes, activation, rng, dtype=np.float32):
    """Draw initial weights: He-uniform for ReLU/ELU, Glorot-uniform for tanh.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input first and output last.
    activation : {"relu", "elu", "tanh"}
        Hidden-layer activation.
    rng : numpy.random.Generator
        Source of the weights.

    Returns
    -------
    coefs, intercepts : lists of ndarray
        ``coefs[l]`` has shape ``(layer_sizes[l], layer_sizes[l + 1])``; the
        intercepts start at zero.
    """
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True):
        if activation == "tanh":
            limit = np.sqrt(6.0 / (fan_in + fan_out))
        else:
            limit = np.sqrt(6.0 / fan_in)
        coefs.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(dtype))
        intercepts.append(np.zeros(fan_out, dtype=dtype))
    return coefs, intercepts


def forward(X, coefs, intercepts, activation):
    """Return the activations of every layer, the input first, output last."""
    acts = [X]
    a = X
    last = len(coefs) - 1
    for i, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
        z = a @ W
        z += b
        if i < last:
            _activate(z, activation)
        acts.append(z)
        a = z
    return acts


def predict_network(X, coefs, intercepts, activation):
    """Output of the network for ``X`` (no intermediate arrays kept)."""
    return forward(X, coefs, intercepts, activation)[-1]


def gradients(acts, y, coefs, activation, alpha):
    """Loss and gradients of the loss with respect to weights and intercepts.

    Parameters
    ----------
    acts : list of ndarray
        Output of :func:`forward` on a batch.
    y : ndarray of shape (batch, n_outputs)
        Targets of the batch.
    coefs : list of ndarray
        Weights of the network.
    activation : str
        Hidden-layer activation.
    alpha : float
        L2 penalty.

    Returns
    -------
    loss : float
        Data term of the loss (without the penalty), for monitoring.
    grad_coefs, grad_intercepts : lists of ndarray
    """
    out = acts[-1]
    batch, n_out = out.shape
    delta = out - y
    loss = 0.5 * float(np.vdot(delta, delta)) / (batch * n_out)
    delta *= 1.0 / (batch * n_out)
    n_layers = len(coefs)
    grad_coefs = [None] * n_layers
    grad_intercepts = [None] * n_layers
    for i in range(n_layers - 1, -1, -1):
        g = acts[i].T @ delta
        if alpha:
            g += alpha * coefs[i]
        grad_coefs[i] = g
        grad_intercepts[i] = delta.sum(axis=0)
        if i:
            delta = delta @ coefs[i].T
            _multiply_derivative(delta, acts[i], activation)
    return loss, grad_coefs, grad_intercepts


class Adam:
    """Adam optimiser (Kingma & Ba, 2015) updating parameter arrays in place.

    Parameters
    ----------
    params : list of ndarray
        Arrays updated in place by :meth:`step`.
    learning_rate, beta1, beta2, epsilon : float
        The usual Adam constants.
    """

    def __init__(self, params, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.params = params
        self.learning_rate = learning_rate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads):
        """Apply one update with gradients ``grads`` (same order as params)."""
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        lr = self.learning_rate * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            g *= g
            g *= 1 - b2
            v += g
            # g is scratch now: the step lr * m / (sqrt(v) + eps)
            np.sqrt(v, out=g)
            g += self.eps
            np.divide(m, g, out=g)
            g *= lr
            p -= g
