"""Noise and energy-shift augmentation of spectra for training networks.

Measured spectra differ from computed ones by counting (Poisson) noise,
detector (Gaussian) noise and small calibration shifts of the energy axis.
Drawing such perturbations afresh for every training epoch teaches a network
to ignore them (Kiyohara et al., 2019).  The functions here are vectorised
over a batch of spectra, work in the dtype of the batch and never modify
their input.
"""

import numpy as np


def _signal_scale(X):
    """Per-spectrum signal amplitude: the root mean square of each row.

    The (amplitude) signal-to-noise ratio of a spectrum is this rms divided by
    the standard deviation of its noise, as in
    :func:`skspectra.datasets.make_xanes_series`.
    """
    return np.sqrt(np.einsum("ij,ij->i", X, X) / max(X.shape[1], 1))


def add_gaussian_noise(X, snr, rng):
    """Add white Gaussian noise at a given signal-to-noise ratio.

    Each spectrum ``x`` receives noise of standard deviation
    ``rms(x) / snr`` with ``rms(x) = sqrt(mean(x**2))``.

    Parameters
    ----------
    X : ndarray of shape (n_spectra, n_channels)
        Spectra; not modified.
    snr : float or ndarray of shape (n_spectra,)
        Signal-to-noise ratio of each spectrum, positive.
    rng : numpy.random.Generator
        Source of the noise.

    Returns
    -------
    X_noisy : ndarray of shape (n_spectra, n_channels)
        A new array of the dtype of ``X``.
    """
    sigma = _signal_scale(X) / np.asarray(snr, dtype=X.dtype)
    noise = rng.standard_normal(X.shape, dtype=X.dtype)
    noise *= sigma[:, None]
    noise += X
    return noise


def add_poisson_noise(X, counts, rng):
    """Resample spectra as Poisson counts at a given count level.

    A spectrum ``x >= 0`` expects ``c`` counts per unit of intensity in every
    channel (for edge-step normalised XANES: ``c`` counts at unit edge jump);
    a count is drawn in every channel and scaled back,
    ``x_noisy = Poisson(c x) / c``.  The result is unbiased,
    ``E[x_noisy] = x``, with variance ``x / c``.

    Parameters
    ----------
    X : ndarray of shape (n_spectra, n_channels)
        Non-negative spectra; not modified.
    counts : float or ndarray of shape (n_spectra,)
        Counts per unit of intensity for each spectrum, positive.
    rng : numpy.random.Generator
        Source of the noise.

    Returns
    -------
    X_noisy : ndarray of shape (n_spectra, n_channels)
        A new array of the dtype of ``X``.

    Raises
    ------
    ValueError
        If ``X`` has a negative value: counts cannot be negative.
    """
    if X.size and X.min() < 0:
        raise ValueError(
            "Poisson noise needs non-negative spectra (counts cannot be "
            f"negative); the smallest value is {X.min():g}. Remove the "
            "background offset first or use Gaussian noise (noise_snr)."
        )
    gain = np.broadcast_to(np.asarray(counts, dtype=np.float64), X.shape[:1])
    drawn = rng.poisson(X * gain[:, None]).astype(X.dtype)
    drawn *= (1.0 / gain).astype(X.dtype)[:, None]
    return drawn


def shift_spectra(X, energy, shifts):
    """Shift spectra along the energy axis by linear interpolation.

    The shifted spectrum is ``x_shifted(E) = x(E - delta)``: a positive shift
    moves features to higher energy.  Values outside the measured range are
    the edge values (constant extension).  Works on non-uniform grids.

    Parameters
    ----------
    X : ndarray of shape (n_spectra, n_channels)
        Spectra; not modified.
    energy : ndarray of shape (n_channels,)
        Strictly increasing channel energies.
    shifts : ndarray of shape (n_spectra,)
        Shift of each spectrum, in the units of ``energy``.

    Returns
    -------
    X_shifted : ndarray of shape (n_spectra, n_channels)
        A new array of the dtype of ``X``.
    """
    n_spectra, n_channels = X.shape
    if n_channels < 2:
        return X.copy()
    shifts = np.asarray(shifts, dtype=np.float64)
    steps = np.diff(energy)
    index = np.arange(n_channels, dtype=np.float64)
    if np.allclose(steps, steps[0], rtol=1e-9, atol=0):
        # uniform grid: the fractional source channel is index - shift / step
        pos = index[None, :] - (shifts / steps[0])[:, None]
        np.clip(pos, 0, n_channels - 1, out=pos)
    else:
        where = energy[None, :] - shifts[:, None]
        pos = np.interp(where.ravel(), energy, index).reshape(n_spectra, n_channels)
    left = np.minimum(pos.astype(np.intp), n_channels - 2)
    frac = (pos - left).astype(X.dtype)
    lo = np.take_along_axis(X, left, axis=1)
    hi = np.take_along_axis(X, left + 1, axis=1)
    hi -= lo
    hi *= frac
    hi += lo
    return hi


def _draw_levels(level, n, rng):
    """Draw ``n`` noise levels: fixed, or log-uniform between two bounds."""
    level = np.atleast_1d(np.asarray(level, dtype=np.float64))
    if level.size == 1:
        return np.full(n, level[0])
    lo, hi = np.log(level[0]), np.log(level[1])
    return np.exp(rng.uniform(lo, hi, size=n))


def augment_spectra(X, rng, *, noise_snr=None, noise_counts=None, shift=None):
    """Apply a random energy shift and a random noise model to each spectrum.

    Parameters
    ----------
    X : ndarray of shape (n_spectra, n_channels)
        Clean spectra; not modified.
    rng : numpy.random.Generator
        Source of randomness.
    noise_snr : float, (low, high) or None
        Gaussian noise at this signal-to-noise ratio; a pair draws the ratio
        of each spectrum log-uniformly between the bounds.
    noise_counts : float, (low, high) or None
        Poisson noise at this count level (counts per unit of intensity); a
        pair draws log-uniformly between the bounds.
    shift : (energy, max_shift) or None
        Shift each spectrum by ``U(-max_shift, max_shift)`` on ``energy``.

    Returns
    -------
    X_aug : ndarray of shape (n_spectra, n_channels)
        When both noise models are given, each spectrum receives one of them,
        chosen with equal probability.
    """
    n = X.shape[0]
    out = X
    if shift is not None:
        energy, max_shift = shift
        out = shift_spectra(out, energy, rng.uniform(-max_shift, max_shift, size=n))
    if noise_snr is not None and noise_counts is not None:
        use_poisson = rng.random(n) < 0.5
        res = np.empty_like(out)
        g = ~use_poisson
        if g.any():
            res[g] = add_gaussian_noise(
                out[g], _draw_levels(noise_snr, int(g.sum()), rng), rng
            )
        if use_poisson.any():
            res[use_poisson] = add_poisson_noise(
                out[use_poisson],
                _draw_levels(noise_counts, int(use_poisson.sum()), rng),
                rng,
            )
        return res
    if noise_snr is not None:
        return add_gaussian_noise(out, _draw_levels(noise_snr, n, rng), rng)
    if noise_counts is not None:
        return add_poisson_noise(out, _draw_levels(noise_counts, n, rng), rng)
    return out if out is not X else X.copy()
