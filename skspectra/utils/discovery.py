"""Find every public estimator of skspectra.

``tests/test_common.py`` runs scikit-learn's estimator checks on whatever this
module finds, so an estimator is checked from the day it is added.
"""

import importlib
import inspect
import pkgutil
from operator import itemgetter

from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClusterMixin,
    RegressorMixin,
    TransformerMixin,
)

# modules that hold no estimators or that need an optional extra at import
_SKIP = ("tests", "plotting", "cli", "__main__", "demo", "hyperspy")

_TYPE_MIXINS = {
    "classifier": ClassifierMixin,
    "regressor": RegressorMixin,
    "transformer": TransformerMixin,
    "cluster": ClusterMixin,
}


def _public_modules():
    import skspectra

    for info in pkgutil.walk_packages(skspectra.__path__, prefix="skspectra."):
        parts = info.name.split(".")
        if any(part in _SKIP for part in parts):
            continue
        yield importlib.import_module(info.name)


def all_estimators(type_filter=None):
    """List the public estimators of skspectra.

    Parameters
    ----------
    type_filter : {"classifier", "regressor", "transformer", "cluster"} or \
list of them, default=None
        Keep only estimators of these kinds; ``None`` keeps all.

    Returns
    -------
    estimators : list of (name, class) tuples
        Sorted by name; each class is public (its name does not start with an
        underscore), concrete, and defined inside skspectra.

    Examples
    --------
    >>> from skspectra.utils.discovery import all_estimators
    >>> names = [name for name, _ in all_estimators()]
    >>> names == sorted(names)
    True
    """
    found = {}
    for module in _public_modules():
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                name.startswith("_")
                or not issubclass(cls, BaseEstimator)
                or not cls.__module__.startswith("skspectra.")
                or inspect.isabstract(cls)
            ):
                continue
            found[name] = cls
    estimators = sorted(found.items(), key=itemgetter(0))
    if type_filter is None:
        return estimators
    kinds = [type_filter] if isinstance(type_filter, str) else list(type_filter)
    unknown = set(kinds) - set(_TYPE_MIXINS)
    if unknown:
        raise ValueError(
            f"type_filter must be among {sorted(_TYPE_MIXINS)}; got {sorted(unknown)}."
        )
    mixins = tuple(_TYPE_MIXINS[k] for k in kinds)
    return [(n, c) for n, c in estimators if issubclass(c, mixins)]
