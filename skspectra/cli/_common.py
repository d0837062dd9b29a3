"""What the commands share: reading inputs, naming outputs, writing them as one
set, and errors that name the command-line flags.

Nothing heavy is imported at module level, so that the command starts fast
and reports a missing file at once; NumPy, scikit-learn and matplotlib are
imported inside the functions that need them.
"""

import argparse
import csv
import io
import re
import sys
from pathlib import Path


class InputError(Exception):
    """A problem with the user's input: one line on stderr, exit code 2."""


class ArgumentParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line naming the flag."""

    def error(self, message):
        """Print ``prog: message`` and a pointer to ``--help``; exit 2."""
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


class LibraryNames:
    """The valid values of a flag, read from the library when first needed.

    An iterable container of the names in ``module.attribute`` (e.g.
    ``skspectra.metrics.METRIC_NAMES``) for ``choices=`` of an argument: the
    library stays the one list of names, yet building the parser imports
    nothing; the module is imported only when a value is checked or the help
    is shown.
    """

    def __init__(self, module, attribute):
        self.module, self.attribute = module, attribute

    def _names(self):
        import importlib

        return tuple(getattr(importlib.import_module(self.module), self.attribute))

    def __iter__(self):
        return iter(self._names())

    def __contains__(self, value):
        return value in self._names()


def add_energy_window_options(parser):
    """``--energy-min`` and ``--energy-max``, the window that :func:`crop` keeps."""
    parser.add_argument(
        "--energy-min", type=float, help="lowest energy kept (default: all)"
    )
    parser.add_argument(
        "--energy-max", type=float, help="highest energy kept (default: all)"
    )


def add_output_options(parser):
    """``--out``, ``--no-figure``, ``--quiet`` and ``--seed``."""
    parser.add_argument(
        "--out",
        metavar="FOLDER",
        help="folder for the result files, created if needed (default: the "
        "current folder)",
    )
    parser.add_argument(
        "--no-figure",
        action="store_true",
        help="write no PNG figure, and remove one an earlier run left "
        "(default: write it)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress output (default: progress on stderr)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="random seed (default: %(default)s)"
    )


def plural(n, word, words=None):
    """``"1 component"``, ``"3 components"``."""
    return f"{n} {word if n == 1 else (words or word + 's')}"


# ----------------------------------------------------------------- reading
def where(path, flag=None):
    """How a message names an input: ``"x.msa"`` or ``"--descriptors d.csv"``."""
    return f"{flag} {path}" if flag else str(path)


def existing_file(path, flag=None):
    """Return ``path`` as a Path if it names a file, else raise InputError."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{where(path, flag)}: no such file")
    if path.is_dir():
        raise InputError(f"{where(path, flag)}: is a folder, expected a file")
    return path


def read_input(path, flag=None):
    """Read a file with :func:`skspectra.io.read_file`.

    Returns
    -------
    data : ndarray
        Intensities, channel axis last.
    energy : ndarray of shape (n_channels,)
        Channel energies (the channel index when the file has none).
    units : str
        Unit of ``energy``: ``"eV"``, ``"keV"``, ``""`` (not stated) or
        ``"channel"``.
    header : dict
        The reader's header.
    """
    path = existing_file(path, flag)
    from skspectra.io import read_file

    try:
        energy, data, header = read_file(path)
    except ImportError as exc:
        raise InputError(f"{path}: {exc}") from exc
    except (ValueError, OSError) as exc:
        reason = _one_line(exc)
        reason = (
            reason[len(f"{path}: ") :] if reason.startswith(f"{path}: ") else reason
        )
        said = ("no such file", "is a folder", "unknown format", "could not be")
        if not reason.startswith((*said, "not a readable")):
            reason = f"could not be read: {reason}"
        raise InputError(f"{where(path, flag)}: {reason}") from exc
    import numpy as np

    data = np.asarray(data)
    if np.iscomplexobj(data) or not np.issubdtype(data.dtype, np.number):
        raise InputError(
            f"{path}: holds {data.dtype} data (complex values or colours); "
            "expected real intensities"
        )
    return data, energy, str(header.get("energy_units", "")).strip(), header


def _one_line(exc):
    return " ".join(str(exc).split())


def energy_label(units):
    """Axis label of a figure: ``"energy (eV)"``, ``"channel"``, ``"energy"``."""
    if units == "channel":
        return "channel"
    return f"energy ({units})" if units else "energy"


def unit_suffix(units):
    """``"_eV"``, ``"_keV"``, ``"_channel"``, or ``""`` when not stated."""
    safe = re.sub(r"[^0-9A-Za-z]+", "", units)
    return f"_{safe}" if safe else ""


def energy_column(units):
    """Column name of the energy axis in a CSV file: ``"energy_eV"``..."""
    return "channel" if units == "channel" else "energy" + unit_suffix(units)


def crop(X, energy, e_min, e_max):
    """Keep the channels in [--energy-min, --energy-max] with EnergyCrop.

    Returns ``(X, energy)`` for the kept channels of ``X`` (one spectrum per
    row).
    """
    if e_min is None and e_max is None:
        return X, energy
    from skspectra.preprocessing import EnergyCrop

    window = " ".join(
        f"{flag} {value:g}"
        for flag, value in (("--energy-min", e_min), ("--energy-max", e_max))
        if value is not None
    )
    span = f"of the data's {energy[0]:g}..{energy[-1]:g}"
    try:
        selector = EnergyCrop(energy=energy, e_min=e_min, e_max=e_max).fit(X)
    except ValueError as exc:
        if "no channel" in str(exc):
            raise InputError(f"{window} keeps 0 channels {span}") from exc
        flags = {"e_min": "--energy-min", "e_max": "--energy-max"}
        raise InputError(f"{window}: {flag_message(exc, flags)}") from exc
    kept = selector.energy_out_
    if kept.size < 2:
        raise InputError(
            f"{window} keeps {plural(kept.size, 'channel')} {span}; at least 2 "
            "are needed"
        )
    return selector.transform(X), kept


# ------------------------------------------------------------------ errors
def flag_message(exc, flags):
    """The message of ``exc`` on one line, with Python parameter names
    replaced by the command's flags.

    Parameters
    ----------
    exc : Exception
        An error raised by an estimator.
    flags : dict
        ``{"parameter": "--flag"}``, and ``{"ClassName": "--model name"}`` for
        an estimator class chosen by a flag.
    """
    text = _one_line(exc)
    for name, flag in flags.items():
        if name[:1].isupper():
            text = re.sub(rf"\b{name}\(([^()]*)\)", rf"{flag} \1", text)
            text = re.sub(rf"\b{name}\b", flag, text)
            continue
        text = re.sub(rf"The '{name}' parameter of \w+", flag, text)
        text = re.sub(rf"\b{name}=True\b", flag, text)
        text = re.sub(rf"\b{name}=", f"{flag} ", text)
        if "_" in name:  # an identifier, not an English word such as "metric"
            text = re.sub(rf"(?<![\w-]){name}\b", flag, text)
    return text.replace("  ", " ").strip()


# ------------------------------------------------------------------ output
def output_folder(args):
    """The ``--out`` folder, created if it does not exist."""
    out = Path(args.out) if args.out else Path.cwd()
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"--out {out}: cannot create the folder ({exc.strerror})"
        ) from exc
    return out


def output_stem(path):
    """Result-file prefix of an input: ``x.msa`` -> ``x_msa``.

    The extension is kept so that ``x.msa`` and ``x.dm3`` in one folder give
    results that do not overwrite each other.
    """
    path = Path(path)
    ext = path.suffix.lstrip(".").lower()
    return f"{path.stem}_{ext}" if ext else path.stem


def csv_text(header, rows):
    """CSV text of a header row and rows of values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_results(folder, texts=None, arrays=None, figure=None):
    """Write a command's results as one set (see :mod:`skspectra.cli._atomic`).

    Parameters
    ----------
    folder : pathlib.Path
        The output folder.
    texts : dict, default=None
        ``{file name: text}`` (CSV, rules).
    arrays : dict, default=None
        ``{file name: {array name: array}}``, each written as a compressed
        ``.npz``.
    figure : tuple (file name, callable) or (file name, None), default=None
        A PNG and the function that draws it (returning a matplotlib figure);
        ``None`` as the function writes no figure (``--no-figure``) and
        removes one an earlier run left.  Without matplotlib the figure is
        left out with a note on stderr.

    Returns
    -------
    written : list of pathlib.Path
    """
    import numpy as np

    from skspectra.cli._atomic import OutputSet

    texts, arrays = texts or {}, arrays or {}
    names = [*texts, *arrays] + ([figure[0]] if figure else [])
    try:
        with OutputSet(folder, names) as out:
            for name, text in texts.items():
                with out.open(name, "w", encoding="utf-8", newline="") as handle:
                    handle.write(text)
            for name, content in arrays.items():
                with out.open(name, "wb") as handle:
                    np.savez_compressed(handle, **content)
            if figure and figure[1] is not None:
                _draw(out, *figure)
            written, removed = out.commit()
    except OSError as exc:
        raise InputError(
            f"--out {folder}: the results cannot be written there "
            f"({exc.strerror or exc}); nothing was written"
        ) from exc
    for path in removed:
        print(f"removed {path} of an earlier run", file=sys.stderr)
    return written


def _draw(out, name, make_figure):
    try:
        fig = make_figure()
    except ImportError as exc:
        print(f"figure skipped: {_one_line(exc)}", file=sys.stderr)
        return
    import matplotlib.pyplot as plt

    try:
        with out.open(name, "wb") as handle:
            fig.savefig(handle, format="png", dpi=110)
    finally:
        plt.close(fig)


def report_written(paths):
    """Print the files written."""
    print("wrote " + ", ".join(str(p) for p in paths))
