"""A small progress bar for long runs, used by the command line and the searches."""

import sys
import time

# a bar redrawn in place on a terminal; seconds between redraws
TERMINAL_INTERVAL = 0.2
# a log file or pipe gets whole lines, few enough to stay readable
LOG_INTERVAL = 10.0
_WIDTH = 30


def _is_terminal(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """Show the progress of a loop: one line redrawn on a terminal, whole lines
    elsewhere.

    On a terminal the bar is redrawn in place with a carriage return.  When
    the stream is a file or a pipe (a log), no carriage return is written:
    each report is a line of its own, at most one every ``log_interval``
    seconds, plus the first and the last.

    Parameters
    ----------
    total : int
        Number of steps expected.
    label : str, default=""
        Text shown before the bar.
    quiet : bool, default=False
        Print nothing at all.
    stream : file-like, default=sys.stderr
        Where to print.
    min_interval : float, default=None
        Minimum seconds between reports; None uses 0.2 s on a terminal and
        10 s elsewhere.

    Examples
    --------
    >>> import io
    >>> from skspectra.utils._progress import Progress
    >>> out = io.StringIO()
    >>> bar = Progress(3, "steps", stream=out, min_interval=0)
    >>> for _ in range(3):
    ...     bar.update()
    >>> bar.close()
    >>> "3/3" in out.getvalue(), "\\r" in out.getvalue()
    (True, False)
    """

    def __init__(self, total, label="", *, quiet=False, stream=None, min_interval=None):
        self.total = max(int(total), 1)
        self.label = label
        self.quiet = quiet
        self.stream = sys.stderr if stream is None else stream
        self.terminal = _is_terminal(self.stream)
        if min_interval is None:
            min_interval = TERMINAL_INTERVAL if self.terminal else LOG_INTERVAL
        self.min_interval = min_interval
        self.count = 0
        self._start = time.perf_counter()
        self._last = -float("inf")
        self._info = ""

    def update(self, n=1, info=""):
        """Advance by ``n`` steps; ``info`` is shown after the bar."""
        self.count = min(self.count + n, self.total)
        self._info = info
        if self.quiet:
            return
        now = time.perf_counter()
        if now - self._last >= self.min_interval:
            self._draw(now)

    def _draw(self, now):
        self._last = now
        filled = int(_WIDTH * self.count / self.total)
        bar = "#" * filled + "-" * (_WIDTH - filled)
        text = (
            f"{self.label} [{bar}] {self.count}/{self.total} "
            f"{now - self._start:.1f}s {self._info}".rstrip()
        )
        if self.terminal:
            self.stream.write(f"\r{text}\x1b[K")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self):
        """Report the final state (and end the terminal line)."""
        if self.quiet:
            return
        self._draw(time.perf_counter())
        if self.terminal:
            self.stream.write("\n")
            self.stream.flush()
