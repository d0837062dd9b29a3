"""Spectrum images of grains with soft borders and Voigt lines on a continuum.

A second generator of spectrum images of known rank, built differently from
:func:`~skspectra.datasets.make_spectrum_image` in both factors: the spectra
are pseudo-Voigt lines on a smooth continuum, the maps a Voronoi tessellation
of grains whose borders are blurred.
"""

import numbers

import numpy as np
from scipy.ndimage import gaussian_filter
from sklearn.utils import Bunch, check_random_state

from skspectra.datasets._image_common import add_counting_noise, check_image_params

__all__ = ["make_grain_image"]

# line widths as a fraction of the energy range: from a few channels at 1024
# channels to lines that overlap their neighbours
_LINE_WIDTH = (0.004, 0.012)

# height of the continuum relative to the strongest line: visible under the
# lines, but not so strong that every spectrum looks alike
_CONTINUUM_HEIGHT = 0.08


def _voigt_line(x, centre, width, eta):
    """Pseudo-Voigt line of unit height: a Lorentzian and a Gaussian mixed."""
    z = (x - centre) / width
    gauss = np.exp(-0.5 * z * z)
    lorentz = 1.0 / (1.0 + z * z)
    return eta * lorentz + (1.0 - eta) * gauss


def _grain_spectrum(x, rng, continuum):
    """Two to four pseudo-Voigt lines over a smooth continuum."""
    n_lines = rng.randint(2, 5)
    spectrum = np.zeros_like(x)
    for i, c in enumerate(rng.uniform(0.05, 0.95, size=n_lines)):
        height = 1.0 if i == 0 else rng.uniform(0.2, 0.9)
        width = rng.uniform(*_LINE_WIDTH)
        spectrum += height * _voigt_line(x, c, width, rng.uniform(0.0, 0.7))
    if continuum:
        # a smooth rise and fall whose peak position differs per phase
        peak = rng.uniform(0.1, 0.5)
        spectrum += _CONTINUUM_HEIGHT * (x / peak) * np.exp(1.0 - x / peak)
    return spectrum


def _grain_fractions(shape, n_components, n_grains, border, overlap, rng):
    """Soft phase fractions from a tessellation of grains with blurred borders.

    Grains are Voronoi cells of random seeds; each grain is given a phase
    (every phase at least once).  The indicator of each phase is blurred by a
    Gaussian of width ``border`` pixels, and with ``overlap > 0`` mixed with
    a uniform share, so that neighbouring phases overlap near borders.
    """
    ny, nx = shape
    n_grains = max(int(n_grains), n_components)
    seeds = rng.uniform(0, 1, size=(n_grains, 2)) * [ny, nx]
    yy, xx = np.mgrid[0:ny, 0:nx]
    d2 = (yy[..., None] - seeds[:, 0]) ** 2 + (xx[..., None] - seeds[:, 1]) ** 2
    grain = np.argmin(d2, axis=-1)
    phase_of_grain = np.concatenate(
        [rng.permutation(n_components), rng.randint(0, n_components, n_grains)]
    )[:n_grains]
    phase = phase_of_grain[grain]
    fractions = np.stack([(phase == k).astype(float) for k in range(n_components)], -1)
    if border > 0:
        for k in range(n_components):
            fractions[..., k] = gaussian_filter(fractions[..., k], border, mode="wrap")
    fractions = (1.0 - overlap) * fractions + overlap / n_components
    fractions /= fractions.sum(axis=-1, keepdims=True)
    return fractions, phase


def make_grain_image(
    n_components=3,
    *,
    shape=(64, 64),
    n_channels=512,
    n_grains=None,
    border=2.0,
    overlap=0.0,
    continuum=True,
    counts_per_pixel=1000.0,
    noise="poisson",
    random_state=None,
):
    """Make a spectrum image of grains of known phases with soft borders.

    ``X[i, j, :] = sum_k maps[i, j, k] * components[k, :]`` plus noise, where
    the components (phases) are two to four pseudo-Voigt lines (Gaussian to
    mostly Lorentzian) at random positions over a smooth continuum, and the
    maps come from a Voronoi tessellation of ``n_grains`` grains, each of one
    phase (every phase appears), whose indicator images are blurred over
    ``border`` pixels so that phases mix only near grain borders.  Component
    spectra have unit sum, so ``maps`` are expected counts and the expected
    counts of every pixel sum to ``counts_per_pixel``.

    This generator differs from :func:`make_spectrum_image` in the line
    shapes (Voigt lines instead of edges and Gaussian lines), in the map
    structure (piecewise-constant grains instead of smooth random fields)
    and in the phase areas (unequal, set by the tessellation), so a method
    tuned on one can be tested on the other.

    Parameters
    ----------
    n_components : int, default=3
        Number of phases (the rank of the noiseless image).
    shape : tuple of (int, int), default=(64, 64)
        Spatial shape ``(ny, nx)``.
    n_channels : int, default=512
        Number of energy channels.
    n_grains : int, default=None
        Number of grains; default ``3 * n_components``.  At least
        ``n_components`` grains are used.
    border : float, default=2.0
        Width (standard deviation, in pixels) of the blur of the grain
        borders; 0 gives sharp borders and pure pixels.
    overlap : float in [0, 1], default=0.0
        Share of every pixel spread uniformly over all phases: 0 leaves pure
        grain interiors, 1 makes every pixel the same mixture (rank one).
    continuum : bool, default=True
        Add a smooth continuum (a rise and fall whose peak differs per phase)
        under the lines.
    counts_per_pixel : float, default=1000.0
        Expected total counts of every pixel; for low-dose images use values
        of a few counts (3-12).
    noise : {"poisson", "gaussian"} or None, default="poisson"
        ``"poisson"``: Poisson counts (integers, as float64).  ``"gaussian"``:
        additive homoscedastic Gaussian noise with the variance of the mean
        expected count per channel.  ``None``: no noise.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible images.

    Returns
    -------
    X : ndarray of shape (ny, nx, n_channels)
        The (noisy) spectrum image.
    truth : :class:`~sklearn.utils.Bunch`
        ``components`` (n_components, n_channels), unit-sum spectra;
        ``maps`` (ny, nx, n_components), expected counts per component;
        ``phase`` (ny, nx), the phase of the grain each pixel lies in;
        ``energy`` (n_channels,), ``linspace(0, 1, n_channels)``;
        ``X_noiseless`` (ny, nx, n_channels).

    See Also
    --------
    make_spectrum_image : Edges and Gaussian lines on smooth random maps.

    Examples
    --------
    >>> from skspectra.datasets import make_grain_image
    >>> X, truth = make_grain_image(
    ...     3, shape=(64, 64), n_channels=256, counts_per_pixel=6, random_state=0
    ... )
    >>> X.shape, truth.components.shape, truth.maps.shape
    ((64, 64, 256), (3, 256), (64, 64, 3))
    >>> round(float(truth.X_noiseless.sum(axis=-1).mean()), 6)
    6.0
    """
    shape = check_image_params(
        n_components, shape, n_channels, overlap, counts_per_pixel, noise
    )
    if n_grains is None:
        n_grains = 3 * n_components
    if not isinstance(n_grains, numbers.Integral) or n_grains < 1:
        raise ValueError(f"n_grains must be a positive integer; got {n_grains!r}.")
    if not np.isfinite(border) or border < 0:
        raise ValueError(f"border must be a non-negative number; got {border!r}.")
    rng = check_random_state(random_state)
    energy = np.linspace(0.0, 1.0, n_channels)
    components = np.stack(
        [_grain_spectrum(energy, rng, continuum) for _ in range(n_components)]
    )
    components /= components.sum(axis=1, keepdims=True)
    fractions, phase = _grain_fractions(
        shape, n_components, n_grains, float(border), float(overlap), rng
    )
    maps = counts_per_pixel * fractions
    X_noiseless = maps @ components
    X = add_counting_noise(X_noiseless, noise, rng)
    truth = Bunch(
        components=components,
        maps=maps,
        phase=phase,
        energy=energy,
        X_noiseless=X_noiseless,
    )
    return X, truth
