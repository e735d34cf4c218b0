"""The sweep's Dask client: a LocalCluster on this machine, or an existing scheduler.

Reusable by any flow that takes a Dask client (the sharded RTL runs of
``verif.runner`` among them)::

    from sweep.cluster import client
    with client(workers=2) as c:                     # LocalCluster, 2 processes
        ...
    with client("tcp://head:8786") as c:             # a running `dask scheduler`
        ...

:func:`check_workers` runs the tool checks of :mod:`sweep.flows` on every
worker and names what any of them lacks in one line.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading

from sweep import flows

__all__ = ["client", "check_workers", "ClusterError", "dashboard"]

#: Seconds to wait for the first worker of an existing scheduler.
WORKER_TIMEOUT = 60
_QUIET = ("distributed", "bokeh", "tornado")


class ClusterError(RuntimeError):
    """No usable cluster: the message is one line naming the cause."""


def _quiet(level=logging.CRITICAL) -> None:
    """Silence the cluster's own logging: the sweep prints what a person needs."""
    for name in _QUIET:
        logging.getLogger(name).setLevel(level)


@contextlib.contextmanager
def client(scheduler: str | None = None, workers: int = 2, threads_per_worker: int = 1,
           dashboard_address: str = "127.0.0.1:8787", wait: float = WORKER_TIMEOUT):
    """A ``distributed.Client``, closed (and its LocalCluster with it) on exit.

    Parameters
    ----------
    scheduler : str or None
        ``tcp://HOST:PORT`` of a running scheduler (``dask scheduler``,
        dask-jobqueue); None starts a LocalCluster of ``workers`` processes.
    workers, threads_per_worker : int
        LocalCluster only.  One thread a worker: the flows run one tool at a time.
    wait : float
        Seconds to wait for at least one worker of an existing scheduler.

    The LocalCluster's processes ignore SIGINT, so that Ctrl-C reaches only
    this process (which then closes them) and no worker prints a traceback.
    """
    from distributed import Client, LocalCluster
    _quiet()
    os.environ.setdefault("AMARANTH_USE_YOSYS", "builtin")
    cluster = None
    try:
        if scheduler is None:
            main = threading.current_thread() is threading.main_thread()
            old = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
            try:
                cluster = LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker,
                                       processes=True, silence_logs=logging.CRITICAL,
                                       dashboard_address=dashboard_address)
            finally:
                if main:
                    signal.signal(signal.SIGINT, old)
            c = Client(cluster)
        else:
            try:
                c = Client(scheduler, timeout=30)
            except (OSError, TimeoutError) as e:
                raise ClusterError(f"cannot connect to the scheduler {scheduler}: {e}") from None
            try:
                c.wait_for_workers(1, timeout=wait)
            except TimeoutError:
                c.close()
                raise ClusterError(f"no worker joined the scheduler {scheduler} within "
                                   f"{wait:g} s (start some: dask worker {scheduler})") from None
    except OSError as e:
        raise ClusterError(f"cannot start a LocalCluster: {e}") from None
    try:
        yield c
    finally:
        _close(c, cluster)


def _close(c, cluster) -> None:
    _quiet()
    with contextlib.suppress(Exception):
        c.close(timeout=10)
    if cluster is not None:
        with contextlib.suppress(Exception):
            cluster.close(timeout=10)


def dashboard(c) -> str | None:
    """The dashboard's address, or None when it is not served (bokeh missing)."""
    try:
        link = c.dashboard_link
    except (AttributeError, KeyError):
        return None
    return link or None


def check_workers(c, kinds) -> dict:
    """Tool versions on the workers for the piece kinds of a sweep: {tool: version}.

    Raises
    ------
    ClusterError
        A worker lacks a tool (one line naming every worker, tool and how to get
        it), or the workers run different versions of one tool (the cache keys
        would depend on which worker ran a piece).
    """
    tools = sorted({t for k in kinds for t in flows.TOOLS[k]})
    if not tools:
        return {}
    reports = c.run(flows.check_tools, tools)
    missing = [f"{worker}: {tool} ({why})" for worker, r in sorted(reports.items())
               for tool, why in r["missing"].items()]
    if missing:
        raise ClusterError("missing on the workers: " + "; ".join(missing))
    versions = {}
    for worker, r in sorted(reports.items()):
        for tool, v in r["versions"].items():
            if versions.setdefault(tool, v) != v:
                raise ClusterError(f"workers run different {tool} versions ({versions[tool]!r} "
                                   f"and {v!r} on {worker}): use one installation")
    return versions
