"""Bookkeeping shared by the searches: history, best result, the run loop."""

import math
import warnings
from numbers import Integral

from skspectra.utils._progress import Progress


def check_positive_int(value, name, *, minimum=1):
    """``value`` as an int, or a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


class _BaseSearch:
    """A sequential search over a finite set of items (indices, configurations).

    Subclasses define ``_propose`` (the next items), ``_key`` (a hashable,
    validated form of an item given by the user), ``_argument`` (what the
    objective is called with) and ``_as_output`` (what ``suggest`` returns),
    and may extend ``_record``.
    """

    def _init_bookkeeping(self, n_items):
        self.history_ = []
        self.best_value_ = None
        self._n_items = n_items
        self._done = set()  # observed items, successful or failed
        self._pending = set()  # suggested and not yet observed
        self._n_success = 0

    # -- what subclasses provide ---------------------------------------
    def _propose(self, n):  # pragma: no cover - abstract
        raise NotImplementedError

    def _key(self, item):  # pragma: no cover - abstract
        raise NotImplementedError

    def _argument(self, key):  # pragma: no cover - abstract
        raise NotImplementedError

    def _as_output(self, keys):  # pragma: no cover - abstract
        raise NotImplementedError

    def _set_best(self, key):  # pragma: no cover - abstract
        raise NotImplementedError

    def _learn(self, key, value):
        """Hook: a successful observation arrived."""

    # -- the interface ----------------------------------------------------
    @property
    def n_remaining_(self):
        """Number of items neither observed nor waiting for a value."""
        return self._n_items - len(self._done) - len(self._pending)

    def _record(self, key, value, error):
        self._pending.discard(key)
        self._done.add(key)
        ok = error is None and math.isfinite(value)
        if error is None and not ok:
            error = f"non-finite value {value!r}"
        self.history_.append(
            {
                "trial": len(self.history_),
                "item": key,
                "value": float(value) if ok else math.nan,
                "error": error,
            }
        )
        if ok:
            self._n_success += 1
            if self.best_value_ is None or value < self.best_value_:
                self.best_value_ = float(value)
                self._set_best(key)
            self._learn(key, float(value))

    def _check_new(self, keys):
        seen = set()
        for key in keys:
            if key in self._done:
                previous = next(h for h in self.history_ if h["item"] == key)
                raise ValueError(
                    f"{self._describe(key)} was already observed (trial "
                    f"{previous['trial']}, value {previous['value']}); each is "
                    "evaluated once."
                )
            if key in seen:
                raise ValueError(
                    f"{self._describe(key)} appears twice in one observe call."
                )
            seen.add(key)

    def _describe(self, key):
        return f"item {key}"

    def _observe_keys(self, keys, values):
        if len(values) != len(keys):
            raise ValueError(
                f"got {len(keys)} items but {len(values)} values; give one "
                "value per item."
            )
        self._check_new(keys)
        for key, value in zip(keys, values, strict=True):
            self._record(key, float(value), None)
        return self

    def suggest(self):
        """The next items to evaluate (see the subclass for the format)."""
        if self.n_remaining_ <= 0:
            raise RuntimeError(
                f"all {self._n_items} items have been suggested or observed; "
                "nothing is left to evaluate."
            )
        keys = self._propose(self._batch())
        self._pending.update(keys)
        return self._as_output(keys)

    def _batch(self):
        return 1

    def _check_budget(self, n_trials):
        return check_positive_int(n_trials, "n_trials")

    def run(self, objective, n_trials, *, progress=True):
        """Suggest, evaluate ``objective`` and observe, ``n_trials`` times.

        An objective that raises (or returns NaN or inf) is recorded in
        ``history_`` with its error, a warning is issued, the item is never
        proposed again and the search goes on.

        Parameters
        ----------
        objective : callable
            Called with one item (see the class) and returning its energy.
        n_trials : int
            Number of evaluations; the search stops earlier when every item
            has been evaluated.
        progress : bool, default=True
            Show a progress bar on standard error.

        Returns
        -------
        self : object
            The object itself, for chaining calls.
        """
        n_trials = self._check_budget(n_trials)
        bar = Progress(n_trials, type(self).__name__, quiet=not progress)
        done = 0
        while done < n_trials and self.n_remaining_ > 0:
            keys = self._propose(min(self._batch(), n_trials - done))
            self._pending.update(keys)
            for key in keys:
                self._evaluate(objective, key)
                done += 1
                best = "" if self.best_value_ is None else f"{self.best_value_:.6g}"
                bar.update(info=f"best {best}")
        bar.close()
        return self

    def _evaluate(self, objective, key):
        try:
            value = float(objective(self._argument(key)))
        except Exception as exc:  # the user's calculation failed: go on
            message = f"{type(exc).__name__}: {exc}"
            warnings.warn(
                f"the objective raised at {self._describe(key)} ({message}); "
                "recorded in history_ and skipped.",
                RuntimeWarning,
                stacklevel=3,
            )
            self._record(key, math.nan, message)
            return
        self._record(key, value, None)
