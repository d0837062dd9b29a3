"""A small progress bar for long command-line runs (no extra dependency)."""

import sys
import time


class Progress:
    """Print the progress of a loop on one terminal line.

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
    min_interval : float, default=0.2
        Minimum seconds between redraws.

    Examples
    --------
    >>> import io
    >>> from skspectra.utils._progress import Progress
    >>> out = io.StringIO()
    >>> bar = Progress(3, "steps", stream=out, min_interval=0)
    >>> for _ in range(3):
    ...     bar.update()
    >>> bar.close()
    >>> "3/3" in out.getvalue()
    True
    """

    def __init__(self, total, label="", *, quiet=False, stream=None, min_interval=0.2):
        self.total = max(int(total), 1)
        self.label = label
        self.quiet = quiet
        self.stream = sys.stderr if stream is None else stream
        self.min_interval = min_interval
        self.count = 0
        self._start = time.perf_counter()
        self._last = -float("inf")
        self._info = ""

    def update(self, n=1, info=""):
        """Advance by ``n`` steps; ``info`` is shown after the bar."""
        self.count = min(self.count + n, self.total)
        self._info = info
        now = time.perf_counter()
        if self.quiet:
            return
        if now - self._last >= self.min_interval or self.count >= self.total:
            self._draw(now)

    def _draw(self, now):
        self._last = now
        width = 30
        filled = int(width * self.count / self.total)
        bar = "#" * filled + "-" * (width - filled)
        elapsed = now - self._start
        self.stream.write(
            f"\r{self.label} [{bar}] {self.count}/{self.total} {elapsed:.1f}s "
            f"{self._info}"
        )
        self.stream.flush()

    def close(self):
        """Draw the final state and end the line."""
        if not self.quiet:
            self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()
