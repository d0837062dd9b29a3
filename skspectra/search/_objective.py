"""Search objective: distance of a simulated spectrum from a measured one."""

import numpy as np
from sklearn.base import clone

from skspectra.metrics import get_metric
from skspectra.preprocessing import SpectrumNormalizer, resample_spectra
from skspectra.utils.validation import check_energy


def _check_measured(measured):
    measured = np.asarray(measured, dtype=np.float64)
    if measured.ndim != 1 or measured.size < 2:
        raise ValueError(
            f"measured must be one spectrum (1-D, >= 2 channels); got shape "
            f"{measured.shape}."
        )
    if not np.all(np.isfinite(measured)):
        raise ValueError("measured contains NaN or infinite values.")
    return measured


def _channel_energy(transformer, energy, n_channels):
    """The energy axis of the spectra after ``transformer``."""
    steps = getattr(transformer, "steps", None)
    last = steps[-1][1] if steps else transformer
    for candidate in (getattr(last, "energy_out_", None), energy):
        if candidate is not None and len(candidate) == n_channels:
            return np.asarray(candidate, dtype=np.float64)
    if energy is None:
        return None
    raise ValueError(
        f"the preprocessing returns {n_channels} channels but energy has "
        f"{len(energy)}; the metric needs the energy of each channel."
    )


class _SpectralObjective:
    """``objective(params) -> distance(simulate(params), measured)``."""

    def __init__(self, simulate, measured, metric, energy, preprocessing):
        self.simulate = simulate
        self.energy = energy
        self.metric = get_metric(metric)
        self.preprocessing = preprocessing
        self._n_channels = measured.size
        self.measured_ = preprocessing.transform(measured.reshape(1, -1))
        self.metric_energy_ = _channel_energy(
            preprocessing, energy, self.measured_.shape[1]
        )

    def __repr__(self):
        return f"spectral objective ({self.metric.name})"

    def spectrum(self, params):
        """The simulated spectrum of ``params`` on the measured grid."""
        out = self.simulate(params)
        if isinstance(out, tuple):
            if len(out) != 2 or self.energy is None:
                raise ValueError(
                    "simulate returned a tuple; it must be (energy, intensity) "
                    "and energy= must be given so that the spectrum can be "
                    "resampled onto the measured grid."
                )
            out = resample_spectra(out[0], [out[1]], self.energy, fill_value=0.0)[0]
        out = np.asarray(out, dtype=np.float64).reshape(-1)
        if out.size != self._n_channels:
            raise ValueError(
                f"simulate returned {out.size} channels but the measured spectrum "
                f"has {self._n_channels}; return (energy, intensity) to have it "
                "resampled."
            )
        return out

    def __call__(self, params):
        simulated = self.preprocessing.transform(self.spectrum(params).reshape(1, -1))
        distance = float(
            self.metric.paired(simulated, self.measured_, energy=self.metric_energy_)[0]
        )
        if not np.isfinite(distance):
            raise ValueError(f"the {self.metric.name} distance is {distance}.")
        return distance


def make_spectral_objective(
    simulate, measured, *, metric="cosine", energy=None, preprocessing=None
):
    """An objective: the distance of a simulated spectrum from a measured one.

    ``objective(params) = d(P(simulate(params)), P(measured))`` where ``P``
    is the preprocessing (fitted on the measured spectrum) and ``d`` a
    distance of :mod:`skspectra.metrics`, so that :class:`KrigingSearch` or
    :class:`MonteCarloTreeSearch` find the structure parameters whose
    spectrum best matches the measurement.

    Parameters
    ----------
    simulate : callable
        ``simulate(params)`` returns the spectrum of one candidate: an array
        on the measured grid, or a pair ``(energy, intensity)`` on its own
        grid, which is resampled (PCHIP, zero outside) onto ``energy``.
    measured : array-like of shape (n_channels,)
        The measured spectrum.
    metric : str or callable, default="cosine"
        A name in :data:`skspectra.metrics.METRIC_NAMES` or a function
        ``f(u, v, energy=None) -> float``.
    energy : array-like of shape (n_channels,), default=None
        Channel energies of ``measured``; None is the channel index.
    preprocessing : transformer, "passthrough" or None, default=None
        Applied to both spectra (a scikit-learn transformer or pipeline,
        cloned and fitted on the measured spectrum), e.g. an
        :class:`~skspectra.preprocessing.EnergyCrop` and a normalisation.
        None: :class:`~skspectra.preprocessing.SpectrumNormalizer` to unit
        area, so that intensity units do not matter; "passthrough": none.

    Returns
    -------
    objective : callable
        ``objective(params) -> float``; it raises a ValueError for a
        simulated spectrum of the wrong length or a non-finite distance,
        which the searches record as a failed trial.  Its ``spectrum(params)``
        method returns the simulated spectrum on the measured grid.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.search import make_spectral_objective
    >>> energy = np.linspace(0, 10, 101)
    >>> def simulate(params):
    ...     return np.exp(-0.5 * (energy - params[0]) ** 2)
    >>> objective = make_spectral_objective(simulate, simulate([4.0]),
    ...                                     energy=energy)
    >>> objective([4.0]) < 1e-12, objective([6.0]) > 0.1
    (True, True)
    """
    measured = _check_measured(measured)
    energy = None if energy is None else check_energy(energy, measured.size)
    if not callable(simulate):
        raise ValueError(f"simulate must be callable; got {type(simulate).__name__}.")
    if preprocessing is None:
        preprocessing = SpectrumNormalizer(norm="area", energy=energy)
    if isinstance(preprocessing, str):
        if preprocessing != "passthrough":
            raise ValueError(
                "preprocessing must be a transformer, 'passthrough' or None; got "
                f"{preprocessing!r}."
            )
        from sklearn.preprocessing import FunctionTransformer

        preprocessing = FunctionTransformer()
    if not hasattr(preprocessing, "transform"):
        raise ValueError(
            "preprocessing must be a transformer (with fit and transform); got "
            f"{type(preprocessing).__name__}."
        )
    fitted = clone(preprocessing).fit(measured.reshape(1, -1))
    return _SpectralObjective(simulate, measured, metric, energy, fitted)
