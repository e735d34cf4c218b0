"""Progress of the long workloads commands (``make accuracy``, ``make power``,
``python -m workloads.layers``): one helper for all of them.

On a terminal a tqdm bar with done/total, the rate and the time left; otherwise (a log
file, CI) plain lines ``desc: 12/34 (35%), 1:02 elapsed, ~1:55 left: note``, at most one
every ``interval`` seconds and always the last.  Messages go through :meth:`Progress.write`
so that they do not break the bar.
"""

from __future__ import annotations

import sys
import time

__all__ = ["Progress", "progress", "format_seconds"]


def format_seconds(s: float) -> str:
    s = int(round(max(0.0, s)))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


class Progress:
    """``with Progress(total, "accuracy") as bar: ... bar.update(1, note="cnn 5opt")``."""

    def __init__(self, total: int, desc: str = "", *, unit: str = "step", file=None,
                 interval: float = 10.0, tty: bool | None = None):
        if total < 0:
            raise ValueError(f"total must be >= 0, got {total}")
        self.total, self.desc, self.unit = int(total), desc, unit
        self.file = file if file is not None else sys.stderr
        self.interval = float(interval)
        self.done = 0
        self.start = time.monotonic()
        self._last_line = -float("inf")
        isatty = getattr(self.file, "isatty", lambda: False)
        self.tty = bool(isatty()) if tty is None else tty
        self._bar = None
        if self.tty:
            from tqdm import tqdm
            self._bar = tqdm(total=self.total, desc=desc, unit=unit, file=self.file,
                             dynamic_ncols=True, leave=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def left(self) -> float | None:
        """Seconds left at the mean rate so far (None before the first step)."""
        if not self.done:
            return None
        return (time.monotonic() - self.start) / self.done * (self.total - self.done)

    def line(self, note: str = "") -> str:
        elapsed = time.monotonic() - self.start
        pct = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        left = self.left()
        eta = f", ~{format_seconds(left)} left" if left is not None and self.done < self.total \
            else ""
        tail = f": {note}" if note else ""
        return (f"{self.desc}: {self.done}/{self.total}{pct}, {format_seconds(elapsed)} "
                f"elapsed{eta}{tail}")

    def update(self, n: int = 1, note: str = "") -> None:
        self.done += n
        if self._bar is not None:
            if note:
                self._bar.set_postfix_str(note, refresh=False)
            self._bar.update(n)
            return
        now = time.monotonic()
        if now - self._last_line >= self.interval or self.done >= self.total:
            self._last_line = now
            print(self.line(note), file=self.file, flush=True)

    def write(self, message: str) -> None:
        """A message line that leaves the bar intact."""
        if self._bar is not None:
            self._bar.write(message, file=self.file)
        else:
            print(message, file=self.file, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def progress(iterable, total: int | None = None, desc: str = "", **kw):
    """Iterate ``iterable`` with a :class:`Progress` (``total`` from ``len()`` if omitted)."""
    total = len(iterable) if total is None else total
    with Progress(total, desc, **kw) as bar:
        for item in iterable:
            yield item
            bar.update(1)
