"""A Pipeline that passes the energy axis of each step on to the next."""

import time

import numpy as np
from sklearn.base import OneToOneFeatureMixin, clone
from sklearn.feature_selection import SelectorMixin
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_memory

# attribute set on a step whose ``energy`` the pipeline filled in; it holds
# the array it set, so that a later fit can tell a filled-in axis (to be
# recomputed) from one the user gave since (to be kept).  Compared by value:
# a step loaded from the cache of ``memory`` holds copies of both arrays.
_FILLED = "_energy_from_pipeline"


def _has_energy_param(step):
    return hasattr(step, "get_params") and "energy" in step.get_params(deep=False)


def _is_filled(step):
    """True if the step's ``energy`` is the array the pipeline put there."""
    filled = getattr(step, _FILLED, None)
    energy = step.get_params(deep=False)["energy"]
    return (
        filled is not None
        and energy is not None
        and np.array_equal(np.asarray(energy, dtype=np.float64), filled)
    )


def _is_unset(step):
    return step.get_params(deep=False)["energy"] is None or _is_filled(step)


def _with_energy(step, energy):
    """The step to fit: a clone with ``energy`` filled in when it was unset.

    A step with no ``energy`` parameter, or with one the user set, is returned
    as it is.  A filled-in step whose energy is now unknown goes back to None
    (the channel index).
    """
    if not _has_energy_param(step) or not _is_unset(step):
        return step
    if energy is None and not _is_filled(step):
        return step
    filled = clone(step)
    if energy is None:
        filled.set_params(energy=None)
        return filled
    energy = np.array(energy, dtype=np.float64)
    filled.set_params(energy=energy)
    setattr(filled, _FILLED, energy)
    return filled


def _energy_after(step, energy):
    """The energies of the channels a fitted step gives out, or None if unknown.

    In order: the step's ``energy_out_`` (a crop or resampler says it); the
    kept channels of a feature selector; the energy of a transformer that
    keeps its channels one to one (its own ``energy`` when set, else the one it
    received).  Any other transformer (PCA, NMF abundances) gives out channels
    with no energy.
    """
    energy_out = getattr(step, "energy_out_", None)
    if energy_out is not None:
        return np.asarray(energy_out, dtype=np.float64)
    if _has_energy_param(step) and step.get_params(deep=False)["energy"] is not None:
        energy = np.asarray(step.get_params(deep=False)["energy"], dtype=np.float64)
    n_channels_in = getattr(step, "n_features_in_", None)
    if energy is None or np.shape(energy) != (n_channels_in,):
        return None
    if isinstance(step, SelectorMixin):
        return np.asarray(energy)[step.get_support()]
    if isinstance(step, OneToOneFeatureMixin):
        return np.asarray(energy)
    return None


def _step_names(steps):
    """Lower-case class names, numbered ``-1``, ``-2`` where a class repeats."""
    names = [type(step).__name__.lower() for step in steps]
    counts = {name: names.count(name) for name in names}
    seen = dict.fromkeys(names, 0)
    unique = []
    for name in names:
        if counts[name] > 1:
            seen[name] += 1
            name = f"{name}-{seen[name]}"
        unique.append(name)
    return unique


def _fit_transform_step(step, X, y, params):
    """Fit one transformer and transform X with it; ``(Xt, fitted step)``."""
    if hasattr(step, "fit_transform"):
        Xt = step.fit_transform(X, y, **params.get("fit_transform", {}))
    else:
        Xt = step.fit(X, y, **params.get("fit", {})).transform(
            X, **params.get("transform", {})
        )
    return Xt, step


class SpectralPipeline(Pipeline):
    """A pipeline whose steps receive the energies of the channels they are given.

    A :class:`sklearn.pipeline.Pipeline` in every respect, with one addition:
    when it fits, each step that has an ``energy`` parameter left at None gets
    the energies of the channels that reach it, in a fitted clone that takes
    the step's place, as scikit-learn's own pipeline does with a ``memory``.
    The axis starts as ``energy`` (or, when that is None, the first step's
    own ``energy``) and changes where a step says so:

    - a step that exposes ``energy_out_`` after fitting (such as
      :class:`~skspectra.preprocessing.EnergyCrop`) gives out those energies;
    - a feature selector gives out the energies of the channels it keeps;
    - a transformer that keeps its channels one to one (every spectrum
      transformer of :mod:`skspectra.preprocessing`, scikit-learn's scalers)
      passes the axis on;
    - any other transformer (PCA, NMF abundances) ends it: steps after it with
      ``energy=None`` use the channel index, as they do on their own.

    An ``energy`` the user sets on a step is kept: it describes the channels
    that step receives and the axis continues from it.  The filled-in axis is
    recomputed at every fit, so a grid search over a crop's window (``e_min``,
    ``e_max``) gives each candidate its own energies, and :func:`sklearn.clone`
    returns the steps with ``energy`` unset again.

    Parameters
    ----------
    steps : list of (str, estimator) tuples
        The steps, as in :class:`sklearn.pipeline.Pipeline`.
    energy : array-like of shape (n_channels,), default=None
        Energies of the channels of ``X`` given to the first step.  None takes
        the first step's own ``energy``; if that is None too, the steps keep
        the channel index.
    memory : str or object with the joblib.Memory interface, default=None
        Caches the fitted transformers, as in
        :class:`sklearn.pipeline.Pipeline`.
    verbose : bool, default=False
        Print the time each step takes to fit.
    transform_input : None
        Not supported: metadata transformed by the earlier steps would not
        follow the energy axis; kept so that the signature is the one of
        :class:`sklearn.pipeline.Pipeline`.

    Attributes
    ----------
    named_steps : sklearn.utils.Bunch
        The steps by name; after :meth:`fit`, the fitted steps, with the
        energies they were given in their ``energy`` parameter.
    n_features_in_ : int
        Number of channels seen by the first step.

    See Also
    --------
    make_spectral_pipeline : Build one from the steps alone.
    sklearn.pipeline.Pipeline : The pipeline it extends.
    skspectra.preprocessing.EnergyCrop : The crop whose ``energy_out_`` it
        passes on.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.pipeline import SpectralPipeline
    >>> from skspectra.preprocessing import EnergyCrop, SpectrumNormalizer
    >>> energy = np.linspace(500.0, 520.0, 21)
    >>> X = np.random.default_rng(0).uniform(1.0, 2.0, (3, 21))
    >>> pipe = SpectralPipeline(
    ...     [("crop", EnergyCrop(e_min=505.0)), ("norm", SpectrumNormalizer())],
    ...     energy=energy,
    ... ).fit(X)
    >>> pipe.named_steps.norm.energy[:3]
    array([505., 506., 507.])
    >>> pipe.transform(X).shape
    (3, 16)
    """

    _parameter_constraints = {
        **Pipeline._parameter_constraints,
        "energy": ["array-like", None],
        "transform_input": [None],
    }

    def __init__(
        self, steps, *, energy=None, memory=None, verbose=False, transform_input=None
    ):
        super().__init__(
            steps, memory=memory, verbose=verbose, transform_input=transform_input
        )
        self.energy = energy

    def _fit(self, X, y=None, routed_params=None, raw_params=None, **kwargs):
        """Fit every step but the last, filling in energies as they go.

        Returns the output of the last transformer; the final estimator is
        left unfitted but given its energies, for ``fit`` to fit it.
        """
        self.steps = list(self.steps)
        self._validate_steps()
        memory = check_memory(self.memory)
        fit_transform = memory.cache(_fit_transform_step)
        caching = getattr(memory, "location", None) is not None
        energy = self.energy
        for index, (name, step) in enumerate(self.steps):
            if step is None or step == "passthrough":
                continue
            given = _with_energy(step, energy)
            self.steps[index] = (name, given)
            if index == len(self.steps) - 1:
                break
            # a cached fit works on a clone, as in Pipeline; a step just
            # filled in is one already (and a second clone would lose its mark)
            step = clone(given) if caching and given is step else given
            params = {} if routed_params is None else routed_params[name]
            start = time.perf_counter()
            X, fitted = fit_transform(step, X, y, params)
            if self.verbose:
                print(
                    f"[SpectralPipeline] ({index + 1} of {len(self.steps)}) "
                    f"Processing {name}, total={time.perf_counter() - start:.1f}s"
                )
            self.steps[index] = (name, fitted)
            energy = _energy_after(fitted, energy)
        return X

    def __sklearn_clone__(self):
        """An unfitted copy whose steps have their filled-in energies unset."""
        cloned = super().__sklearn_clone__()
        for (_, original), (_, copy) in zip(self.steps, cloned.steps, strict=True):
            if _has_energy_param(original) and _is_filled(original):
                copy.set_params(energy=None)
        return cloned


def make_spectral_pipeline(*steps, energy=None, memory=None, verbose=False):
    """Build a :class:`SpectralPipeline` from its steps, naming them by class.

    The counterpart of :func:`sklearn.pipeline.make_pipeline`.

    Parameters
    ----------
    *steps : estimators
        The steps, in order; each is named after its class in lower case.
    energy : array-like of shape (n_channels,), default=None
        Energies of the channels of ``X``; None takes the first step's own.
    memory : str or object with the joblib.Memory interface, default=None
        Caches the fitted transformers.
    verbose : bool, default=False
        Print the time each step takes to fit.

    Returns
    -------
    pipeline : SpectralPipeline
        The pipeline.

    See Also
    --------
    SpectralPipeline : The pipeline and how the energies travel along it.

    Examples
    --------
    >>> import numpy as np
    >>> from skspectra.peaks import ESPRITPeaks
    >>> from skspectra.pipeline import make_spectral_pipeline
    >>> from skspectra.preprocessing import EnergyCrop
    >>> pipe = make_spectral_pipeline(
    ...     EnergyCrop(e_min=2.0), ESPRITPeaks(), energy=np.arange(64.0)
    ... )
    >>> list(pipe.named_steps)
    ['energycrop', 'espritpeaks']
    """
    return SpectralPipeline(
        list(zip(_step_names(steps), steps, strict=True)),
        energy=energy,
        memory=memory,
        verbose=verbose,
    )
