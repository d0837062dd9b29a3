"""Checks and counting noise shared by the spectrum-image generators."""

import numbers

import numpy as np

NOISE_MODELS = ("poisson", "gaussian", None)


def check_image_params(
    n_components, shape, n_channels, overlap, counts_per_pixel, noise
):
    """Validate the settings every spectrum-image generator has.

    Returns the spatial shape as a tuple of two ints; raises a ValueError
    naming the first setting out of range.
    """
    if not isinstance(n_components, numbers.Integral) or n_components < 1:
        raise ValueError(
            f"n_components must be a positive integer; got {n_components!r}."
        )
    shape = tuple(int(s) for s in shape)
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"shape must be (ny, nx) with positive sizes; got {shape}.")
    if not isinstance(n_channels, numbers.Integral) or n_channels < 8:
        raise ValueError(f"n_channels must be an integer >= 8; got {n_channels!r}.")
    if not 0.0 <= float(overlap) <= 1.0:
        raise ValueError(f"overlap must lie in [0, 1]; got {overlap!r}.")
    if not np.isfinite(counts_per_pixel) or counts_per_pixel <= 0:
        raise ValueError(
            f"counts_per_pixel must be a positive number; got {counts_per_pixel!r}."
        )
    if noise not in NOISE_MODELS:
        raise ValueError(f"noise must be 'poisson', 'gaussian' or None; got {noise!r}.")
    return shape


def add_counting_noise(X_noiseless, noise, rng):
    """The noisy image drawn from the expected counts ``X_noiseless``.

    ``"poisson"``: Poisson counts as float64; ``"gaussian"``: additive
    homoscedastic noise whose variance is the mean expected count per channel
    (the level of Poisson noise); ``None``: a copy.
    """
    if noise == "poisson":
        return rng.poisson(X_noiseless).astype(np.float64)
    if noise == "gaussian":
        sigma = np.sqrt(X_noiseless.mean())
        return X_noiseless + sigma * rng.standard_normal(X_noiseless.shape)
    return X_noiseless.copy()
