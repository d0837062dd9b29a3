"""Where real spectra are found."""

import os
from pathlib import Path


def find_data_dir(extra=()):
    """Locate a folder of real measured spectra, if there is one.

    The folder is looked for, in order, at the path in the environment
    variable ``SKSPECTRA_DATA``, at the paths in ``extra``, and at
    ``shared/data`` and ``../shared/data`` relative to the working directory.
    Such a folder is not part of the package: it holds published measured data
    under their own licences (see its README).

    Parameters
    ----------
    extra : iterable of path-like, default=()
        Further candidate folders, tried after the environment variable.

    Returns
    -------
    path : pathlib.Path or None
        The first candidate that is a folder, or None when none is.

    Examples
    --------
    >>> from skspectra.datasets import find_data_dir
    >>> path = find_data_dir()
    >>> path is None or path.is_dir()
    True
    """
    candidates = []
    env = os.environ.get("SKSPECTRA_DATA")
    if env:
        candidates.append(Path(env))
    candidates.extend(Path(p) for p in extra)
    cwd = Path.cwd()
    candidates.extend([cwd / "shared" / "data", cwd.parent / "shared" / "data"])
    for path in candidates:
        if path.is_dir():
            return path.resolve()
    return None
