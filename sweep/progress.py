"""Progress a person can follow: a bar on a terminal, plain lines otherwise (stderr).

The bar (``rich``) counts points done, running, cached and failed, with the
time left estimated from the pieces not finished yet (their kinds' mean time
so far, over the workers' threads).  Without a terminal, one line per finished
point and a summary line every 30 seconds.
"""

from __future__ import annotations

import sys
import time

__all__ = ["Reporter", "fmt_seconds"]

PLAIN_EVERY = 30.0


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "?"
    s = int(round(s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else \
        f"{s // 60}:{s % 60:02d}"


def _summary(counts: dict, total: int) -> str:
    finished = counts["done"] + counts["cached"] + counts["failed"]
    return (f"{finished}/{total} points: {counts['done']} done, {counts['cached']} cached, "
            f"{counts['failed']} failed, {counts['running']} running")


def point_line(pr) -> str:
    p = pr.point
    if pr.state == "failed":
        label, reason, log = pr.failures[0] if pr.failures else ("?", "failed", None)
        return f"{p.label}: FAILED in {label}: {reason}" + (f" (log {log})" if log else "")
    figures = []
    if pr.area:
        figures.append(f"{pr.area['area_nand2'] / 1e6:.3f} M NAND2, "
                       f"{pr.area['delay']:.2f} ns")
    if pr.energy:
        figures.append(f"{pr.energy['real']['pj_per_mac']:.2f} pJ/MAC")
    return f"{p.label}: {pr.state}" + (f" ({'; '.join(figures)})" if figures else "")


class Reporter:
    """The ``progress`` callable of :class:`sweep.engine.Engine`.

    ``mode``: ``"bar"``, ``"lines"`` or ``"auto"`` (a bar when stderr is a terminal).
    """

    def __init__(self, mode: str = "auto", stream=None):
        self.stream = stream or sys.stderr
        if mode == "auto":
            mode = "bar" if self.stream.isatty() else "lines"
        self.mode = mode
        self.bar = None
        self.last_plain = time.monotonic()
        self.finished = 0

    def line(self, text: str) -> None:
        if self.bar is not None:
            self.bar.console.print(text, highlight=False, markup=False)
        else:
            print(text, file=self.stream, flush=True)

    def __call__(self, event: str, engine) -> None:
        total = len(engine.points)
        counts = engine.state_counts()
        if event == "start":
            pieces = len(engine.nodes)
            self.line(f"sweep: {total} points, {pieces} pieces")
            if self.mode == "bar":
                self._start_bar(total)
        elif event == "point":
            self.finished += 1
            if self.mode == "lines" or engine.last.state == "failed":
                self.line(f"sweep: [{self.finished}/{total}] {point_line(engine.last)}")
        elif event == "tick" and self.mode == "lines":
            now = time.monotonic()
            if now - self.last_plain >= PLAIN_EVERY:
                self.last_plain = now
                self.line(f"sweep: {_summary(counts, total)}, about "
                          f"{fmt_seconds(engine.seconds_left())} left")
        if self.bar is not None:
            self._update_bar(engine, counts, total)
            if event == "end":
                self.stop()

    def _start_bar(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
        console = Console(file=self.stream, stderr=self.stream is sys.stderr)
        self.bar = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("points  {task.fields[states]}  {task.fields[left]}"),
                            console=console, transient=False, refresh_per_second=4)
        self.task = self.bar.add_task("sweep", total=total, states="", left="")
        self.bar.start()

    def _update_bar(self, engine, counts: dict, total: int) -> None:
        finished = counts["done"] + counts["cached"] + counts["failed"]
        states = (f"{counts['done']} done · {counts['running']} running · "
                  f"{counts['cached']} cached · {counts['failed']} failed")
        left = "" if finished == total else f"{fmt_seconds(engine.seconds_left())} left"
        self.bar.update(self.task, completed=finished, states=states, left=left)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
