"""Shared parameter text for docstrings, written once and substituted.

A docstring names a shared entry with a placeholder ``%(name)s`` alone on
its line, at the indentation of the parameter list; :class:`Substitution`
replaces it with the entry, indented to match::

    @Substitution(energy=ENERGY_DOC)
    def f(X, energy=None):
        '''...

        Parameters
        ----------
        %(energy)s
        '''

Lines written right after a placeholder, indented as a description, extend
the shared description.  Only ``%(name)s`` tokens are replaced, so a literal
``%`` (a percentage) needs no escaping.
"""

import re
import textwrap

_PLACEHOLDER = re.compile(r"^(?P<indent>[ \t]*)%\((?P<name>\w+)\)s[ \t]*$", re.M)

ENERGY_DOC = """energy : array-like of shape (n_channels,), default=None
    Channel energies, strictly increasing; None means the channel index
    ``0, 1, ..., n_channels - 1``."""

RANDOM_STATE_DOC = """random_state : int, RandomState instance, Generator or None, \
default=None
    Source of the random draws: an int seeds a new ``RandomState`` (the same
    draws on every call), a ``RandomState`` or ``numpy.random.Generator`` is
    used as given, None uses NumPy's global ``RandomState``."""

SEED_DOC = """random_state : int, RandomState instance or None, default=None
    Seed of the random draws, read by scikit-learn's ``check_random_state``:
    an int gives the same draws on every call, a ``RandomState`` is used as
    given, None uses NumPy's global ``RandomState``."""

SPECTRA_DOC = """X : array-like of shape (n_spectra, n_channels)
    Spectra, one a row."""

# Parameters and Returns of a transform that keeps the channels; the line
# written after the placeholder describes X_new
TRANSFORM_DOC = f"""Parameters
----------
{SPECTRA_DOC}

Returns
-------
X_new : ndarray of shape (n_spectra, n_channels)"""

CHANNELS_IN_DOC = """n_features_in_ : int
    Number of channels seen in ``fit``.
feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Channel names, when ``X`` has string column names."""

N_JOBS_DOC = """n_jobs : int or None, default=None
    Number of parallel jobs (joblib).  None means 1 unless inside a
    ``joblib.parallel_backend`` context; -1 means all processors."""


class Substitution:
    """Decorator filling ``%(name)s`` placeholders of a docstring.

    Parameters
    ----------
    **entries : str
        Shared text for each placeholder name: the first line unindented,
        the following lines indented relative to it.

    Examples
    --------
    >>> from skspectra.utils._docstring import Substitution
    >>> @Substitution(seed="seed : int\\n    The seed.")
    ... def f(seed):
    ...     '''Summary.
    ...
    ...     Parameters
    ...     ----------
    ...     %(seed)s
    ...     '''
    >>> print(f.__doc__.splitlines()[4])
        seed : int
    """

    def __init__(self, **entries):
        self.entries = entries

    def _replace(self, match):
        name = match.group("name")
        if name not in self.entries:
            raise KeyError(
                f"docstring placeholder %({name})s has no shared text; "
                f"known: {sorted(self.entries)}."
            )
        return textwrap.indent(self.entries[name], match.group("indent"))

    def __call__(self, obj):
        """Return ``obj`` with its docstring's placeholders filled."""
        if obj.__doc__ is not None:  # docstrings are stripped under python -OO
            obj.__doc__ = _PLACEHOLDER.sub(self._replace, obj.__doc__)
        return obj
