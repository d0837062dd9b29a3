"""The shared docstring text and its substitution."""

import inspect

import pytest

import skspectra.preprocessing
from skspectra.utils._docstring import ENERGY_DOC, Substitution


def test_substitution_indents_and_leaves_percent_alone():
    @Substitution(energy=ENERGY_DOC)
    def f(energy=None):
        """Summary, 5 % of it.

        Parameters
        ----------
        %(energy)s
            Extra line.
        """

    lines = inspect.cleandoc(f.__doc__).splitlines()
    assert lines[0] == "Summary, 5 % of it."
    start = lines.index("energy : array-like of shape (n_channels,), default=None")
    assert lines[start + 1].startswith("    Channel energies")
    assert lines[-1] == "    Extra line."


def test_substitution_unknown_placeholder_is_an_error():
    def f():
        """Parameters
        ----------
        %(nothing)s
        """

    with pytest.raises(KeyError, match="nothing"):
        Substitution(energy=ENERGY_DOC)(f)


@pytest.mark.parametrize("name", skspectra.preprocessing.__all__)
def test_no_placeholder_left_in_public_docstrings(name):
    doc = getattr(skspectra.preprocessing, name).__doc__
    assert "%(" not in doc
