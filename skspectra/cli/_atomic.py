"""Write the result files of one command as a set: complete or absent.

Every file of the set is first written to a hidden temporary beside its
destination; only when all of them are written are they renamed into place,
with SIGINT and SIGTERM deferred until the renames are done.  A failure or an
interruption before that removes the temporaries and leaves the previous
results untouched, so a folder never holds a half-written file or a mix of
new and old results.  Temporaries are created with mode 0o666 less the umask,
as any file the user writes, and carry the writing process's id so that a
later run can remove those left behind by a killed one.
"""

import contextlib
import os
import secrets
import signal
import threading
from pathlib import Path

_PART = ".part"
_HELD = (signal.SIGINT, signal.SIGTERM)


def _temporary_name(path):
    return path.parent / f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}{_PART}"


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def remove_stale_temporaries(path):
    """Remove temporaries of ``path`` whose writing process no longer runs.

    Parameters
    ----------
    path : pathlib.Path
        A result file; its temporaries are ``.<name>.<pid>-<token>.part``.

    Returns
    -------
    removed : list of pathlib.Path
        The temporaries removed.
    """
    removed = []
    for tmp in path.parent.glob(f".{path.name}.*{_PART}"):
        pid = tmp.name[len(path.name) + 2 : -len(_PART)].split("-")[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
                removed.append(tmp)
    return removed


@contextlib.contextmanager
def _signals_held():
    """Defer SIGINT and SIGTERM to the end of the block, then interrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread
        return
    caught = []
    previous = {s: signal.signal(s, lambda n, f: caught.append(n)) for s in _HELD}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if caught:
        raise KeyboardInterrupt


class OutputSet:
    """The result files of one run, renamed into place together.

    Parameters
    ----------
    folder : pathlib.Path
        Existing folder for the results.
    names : list of str
        Every file the command can write.  Those not written by this run
        (a figure left out) are removed on :meth:`commit` when an earlier run
        left them, since they would not belong to the new results.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from skspectra.cli._atomic import OutputSet
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with OutputSet(folder, ["a.txt", "b.txt"]) as out:
    ...     with out.open("a.txt", "w") as f:
    ...         _ = f.write("done")
    ...     written, removed = out.commit()
    >>> [p.name for p in written], sorted(p.name for p in folder.iterdir())
    (['a.txt'], ['a.txt'])
    """

    def __init__(self, folder, names):
        self.folder = Path(folder)
        self.names = list(names)
        self._pending = {}  # destination -> temporary

    def __enter__(self):
        for name in self.names:
            remove_stale_temporaries(self.folder / name)
        return self

    def path(self, name):
        """A fresh temporary path for the member ``name``, created empty.

        Parameters
        ----------
        name : str
            One of ``names``.

        Returns
        -------
        tmp : pathlib.Path
            Write the member's content here; :meth:`commit` renames it.
        """
        if name not in self.names:
            raise ValueError(f"{name!r} is not one of this set's files {self.names}")
        dest = self.folder / name
        tmp = _temporary_name(dest)
        # os.open applies the umask to 0o666, as any file the user creates
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        old = self._pending.pop(dest, None)
        if old is not None:
            old.unlink(missing_ok=True)
        self._pending[dest] = tmp
        return tmp

    def open(self, name, mode="wb", **kwargs):
        """Open the member ``name`` for writing (``mode`` "w" or "wb")."""
        return open(self.path(name), mode, **kwargs)

    def commit(self):
        """Rename every written member into place; remove stale members.

        Returns
        -------
        written : list of pathlib.Path
            The files of this run, in the order of ``names``.
        removed : list of pathlib.Path
            Files of an earlier run that this run did not write.
        """
        for tmp in self._pending.values():
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
        written, removed = [], []
        with _signals_held():
            for name in self.names:
                dest = self.folder / name
                if dest in self._pending:
                    os.replace(self._pending.pop(dest), dest)
                    written.append(dest)
                elif dest.exists():
                    dest.unlink()
                    removed.append(dest)
        return written, removed

    def __exit__(self, *exc):
        for tmp in self._pending.values():
            tmp.unlink(missing_ok=True)
        self._pending.clear()
        return False
