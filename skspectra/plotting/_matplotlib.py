"""The one place where the figures import matplotlib.

matplotlib is an optional dependency (the ``plot`` extra): it is imported
when a figure is drawn, never when :mod:`skspectra` is imported.
"""


def import_pyplot():
    """Return ``matplotlib.pyplot``, or say which extra installs it.

    Returns
    -------
    plt : module
        ``matplotlib.pyplot``.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "skspectra's figures need matplotlib; install it with "
            "pip install 'skspectra[plot]'."
        ) from exc
    return plt
