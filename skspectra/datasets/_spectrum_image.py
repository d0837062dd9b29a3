"""Synthetic spectrum images with known components and abundance maps."""

import numpy as np
from scipy.ndimage import gaussian_filter
from sklearn.utils import Bunch, check_random_state

from skspectra.datasets._image_common import add_counting_noise, check_image_params
from skspectra.utils._docstring import SEED_DOC, Substitution

__all__ = ["make_spectrum_image"]


def _edge_component(energy, onset, rng, background):
    """Core-loss edge: power-law pre-edge, smoothed step, white line, decay."""
    span = energy[-1] - energy[0]
    x = (energy - energy[0]) / span
    t = (energy - onset) / span
    width = 0.004 + 0.006 * rng.random_sample()
    step = 0.5 * (1.0 + np.tanh(t / width))
    tail = np.exp(-np.clip(t, 0.0, None) * (2.0 + 3.0 * rng.random_sample()))
    peak_pos = (onset - energy[0]) / span + 0.01 + 0.01 * rng.random_sample()
    white = (0.5 + 1.5 * rng.random_sample()) * np.exp(
        -0.5 * ((x - peak_pos) / (0.004 + 0.004 * rng.random_sample())) ** 2
    )
    pre_edge = 0.15 * (1.0 + x * 20.0) ** -1.5 if background else 0.0
    return pre_edge + step * tail + white


def _peak_component(energy, centre, rng, background):
    """EDS-like component: a few Gaussian lines over a bremsstrahlung-like hump."""
    span = energy[-1] - energy[0]
    x = (energy - energy[0]) / span
    spectrum = 0.02 * x * np.exp(-3.0 * x) if background else np.zeros_like(x)
    centres = [(centre - energy[0]) / span]
    n_extra = rng.randint(1, 4)
    centres.extend(rng.uniform(0.05, 0.95, size=n_extra))
    for i, c in enumerate(centres):
        height = 1.0 if i == 0 else rng.uniform(0.15, 0.8)
        sigma = rng.uniform(0.003, 0.008)
        spectrum = spectrum + height * np.exp(-0.5 * ((x - c) / sigma) ** 2)
    return spectrum


@Substitution(random_state=SEED_DOC)
def make_spectrum_image(
    n_components=3,
    *,
    shape=(32, 32),
    n_channels=512,
    energy=None,
    kind="mixed",
    overlap=0.3,
    background=True,
    counts_per_pixel=1000.0,
    noise="poisson",
    random_state=None,
):
    """Make a spectrum image from known component spectra and abundance maps.

    The image is ``X[i, j, :] = sum_k maps[i, j, k] * components[k, :]`` plus
    noise.  Component spectra have unit sum (unit L1 norm), so
    ``maps[i, j, k]`` is the expected number of counts that component ``k``
    contributes to pixel ``(i, j)``, and the expected counts of every pixel
    sum to ``counts_per_pixel``.

    Components are core-loss-edge shapes (smoothed step at an onset, decaying
    tail, a white-line peak, a power-law pre-edge) or EDS-like sets of
    Gaussian lines; their positions are spread over the energy range so that
    the components are distinct.  Abundance maps are smooth random fields
    (Gaussian-filtered noise) turned into fractions with a softmax whose
    temperature is set by ``overlap``: ``overlap=0`` gives nearly pure,
    non-overlapping phase regions, ``overlap=1`` gives strong mixing.

    Parameters
    ----------
    n_components : int, default=3
        Number of component spectra (phases).
    shape : tuple of (int, int), default=(32, 32)
        Spatial shape ``(ny, nx)``.
    n_channels : int, default=512
        Number of energy channels.
    energy : array-like of shape (n_channels,), default=None
        Channel energies; default ``linspace(0, 1, n_channels)`` in arbitrary
        units.
    kind : {"mixed", "edge", "peak"}, default="mixed"
        Component shapes: EELS-like edges, EDS-like peaks, or alternating.
    overlap : float in [0, 1], default=0.3
        How much the abundance maps overlap spatially.
    background : bool, default=True
        Include a smooth background in every component (a power-law pre-edge
        for edges, a bremsstrahlung-like hump for peaks).  Without it, peak
        components are zero away from their lines, which makes the
        factorisation of the noiseless image unique up to permutation and
        scale when ``overlap`` is small.
    counts_per_pixel : float, default=1000.0
        Expected total counts in each pixel (sum over channels).
    noise : {"poisson", "gaussian"} or None, default="poisson"
        ``"poisson"``: counts drawn from a Poisson distribution (integer
        valued, returned as float64).  ``"gaussian"``: additive Gaussian noise
        whose variance equals the mean expected count per channel (the same
        variance level as Poisson noise, homoscedastic).  ``None``: no noise.
    %(random_state)s

    Returns
    -------
    X : ndarray of shape (ny, nx, n_channels)
        The (noisy) spectrum image.
    truth : :class:`~sklearn.utils.Bunch`
        ``components`` (n_components, n_channels), unit-sum spectra;
        ``maps`` (ny, nx, n_components), expected counts per component;
        ``energy`` (n_channels,); ``X_noiseless`` (ny, nx, n_channels).

    Examples
    --------
    >>> from skspectra.datasets import make_spectrum_image
    >>> X, truth = make_spectrum_image(
    ...     3, shape=(16, 20), n_channels=128, counts_per_pixel=500, random_state=0
    ... )
    >>> X.shape, truth.components.shape, truth.maps.shape
    ((16, 20, 128), (3, 128), (16, 20, 3))
    >>> float(truth.X_noiseless.sum(axis=-1).mean())
    500.0
    """
    shape = check_image_params(
        n_components, shape, n_channels, overlap, counts_per_pixel, noise
    )
    if kind not in ("mixed", "edge", "peak"):
        raise ValueError(f"kind must be 'mixed', 'edge' or 'peak'; got {kind!r}.")
    rng = check_random_state(random_state)
    if energy is None:
        energy = np.linspace(0.0, 1.0, n_channels)
    else:
        from skspectra.utils import check_energy

        energy = check_energy(energy, n_channels)

    lo, hi = energy[0], energy[-1]
    positions = lo + (hi - lo) * (
        0.1
        + 0.75
        * (np.arange(n_components) + rng.uniform(0.1, 0.6, n_components))
        / n_components
    )
    components = np.empty((n_components, n_channels))
    for k in range(n_components):
        use_edge = kind == "edge" or (kind == "mixed" and k % 2 == 0)
        if use_edge:
            components[k] = _edge_component(energy, positions[k], rng, background)
        else:
            components[k] = _peak_component(energy, positions[k], rng, background)
    components /= components.sum(axis=1, keepdims=True)

    ny, nx = shape
    smooth = max(ny, nx) / 8.0
    fields = np.stack(
        [
            gaussian_filter(rng.standard_normal(shape), smooth, mode="wrap")
            for _ in range(n_components)
        ],
        axis=-1,
    )
    # equal marginal distributions (uniform ranks, unit variance), so that
    # every phase covers a comparable share of the image
    flat = fields.reshape(-1, n_components)
    ranks = np.argsort(np.argsort(flat, axis=0), axis=0)
    flat = ((ranks + 0.5) / flat.shape[0] - 0.5) * np.sqrt(12.0)
    fields = flat.reshape(fields.shape)
    temperature = 0.05 + 1.5 * float(overlap)
    logits = fields / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    fractions = np.exp(logits)
    fractions /= fractions.sum(axis=-1, keepdims=True)
    maps = counts_per_pixel * fractions

    X_noiseless = maps @ components
    X = add_counting_noise(X_noiseless, noise, rng)
    truth = Bunch(
        components=components, maps=maps, energy=energy, X_noiseless=X_noiseless
    )
    return X, truth
