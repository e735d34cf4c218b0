"""Run a sweep's pieces as Dask tasks, each cached by content, and compose each point.

The graph is built as results arrive: a piece's key depends on its inputs'
content (a synthesis is keyed by the Verilog its ``emit`` piece produced), so a
piece is looked up in the cache, or submitted, once its inputs are known.
Identical pieces of different points (the PE of a 16x16 and of a 128x128
array) are one piece and one task.  A task that a lost worker was running is
run again by Dask on another worker; its result enters the report once.

Without a client (``client=None``) every piece runs in this process, one after
another: the serial reference of ``scripts/bench_sweep.py``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from sweep import flows
from sweep.cache import Cache, key
from sweep.spec import Point, Sweep

__all__ = ["Piece", "PointResult", "Engine", "pieces_of", "run_piece", "Interrupted"]

#: Seconds a piece of each kind takes before any was measured (for the time left).
PRIOR_SECONDS = {"emit": 1.0, "synth": 5.0, "streams": 20.0, "power": 5.0, "networks": 5.0,
                 "accuracy": 30.0}


class Interrupted(Exception):
    """The scheduler went away in the middle of the sweep."""


@dataclass(frozen=True)
class Piece:
    """One task: a flow step on one unit, with the pieces whose results it takes."""

    kind: str
    unit: flows.Unit | None
    params: tuple = ()
    deps: tuple = ()

    def param_dict(self) -> dict:
        return {**({"unit": self.unit.describe()} if self.unit else {}), **dict(self.params)}

    @property
    def label(self) -> str:
        return f"{self.kind} {self.unit.label}" if self.unit else self.kind


def _lib_params(point: Point, liberty_sha: str | None) -> tuple:
    return (("liberty", point.liberty), ("liberty_sha", liberty_sha), ("period", point.period))


def pieces_of(point: Point, sweep: Sweep, liberty_sha: str | None) -> dict[str, list]:
    """{flow: [(unit, count, piece)]}: the pieces whose results a point's figures need."""
    lib = _lib_params(point, liberty_sha)

    def synth(unit):
        return Piece("synth", unit, lib, (Piece("emit", unit),))

    out = {}
    args = (point.arch, point.variant, point.rows, point.cols, point.acc_width)
    if "area" in sweep.flows or "power" in sweep.flows:
        out["area"] = [(u, n, synth(u)) for u, n in flows.units_for_area(*args)]
    if "power" in sweep.flows:
        streams = Piece("streams", None, (("images", sweep.images),))
        out["power"] = [(u, n, Piece("power", u, (*lib, ("cycles", sweep.cycles)),
                                     (synth(u), streams)))
                        for u, n in flows.units_for_power(*args)]
    size = (("arch", point.arch), ("variant", point.variant), ("rows", point.rows),
            ("cols", point.cols))
    if "networks" in sweep.flows:
        out["networks"] = [(net, None, Piece("networks", None,
                                             (*size, ("network", net), ("batch", sweep.batch))))
                           for net in sweep.networks]
    if "accuracy" in sweep.flows:
        # The accuracy of a configuration does not depend on the array's size.
        what = (("arch", point.arch), ("variant", point.variant))
        out["accuracy"] = [(model, None, Piece("accuracy", None, (*what, ("model", model))))
                           for model in sweep.models]
    return out


def run_piece(kind: str, params: dict, inputs: list, k: str, workdir: str,
              cache_root: str | None) -> dict:
    """The task: run one piece on this worker; never raises.

    Returns ``{"ok": True, "result", "seconds"}`` or ``{"ok": False, "error",
    "log"}``; the log (``task.log`` in the piece's scratch folder, beside the
    tools' own logs) has the traceback.  A result is written to the cache
    here, so that it survives the client or the scheduler going away.
    """
    t0 = time.monotonic()
    where = f"{socket.gethostname()}:{os.getpid()}"
    scratch = Path(workdir) / kind / f"{k[:16]}.{os.getpid()}"
    try:
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True, exist_ok=True)
        flows.require_tools(kind)
        result = flows.RUNNERS[kind](params, [i["result"] for i in inputs], scratch)
    except Exception as e:  # noqa: BLE001  (one piece's failure is reported, never fatal)
        log = scratch / "task.log"
        known = isinstance(e, (flows.FlowError, flows.ToolsMissing))
        reason = " ".join((str(e) if known else f"{type(e).__name__}: {e}").split())
        try:
            log.write_text(f"{kind} {params}\non {where}\n{traceback.format_exc()}")
        except OSError:
            log = None
        return {"ok": False, "error": f"{reason} [on {where}]", "log": str(log) if log else None}
    seconds = time.monotonic() - t0
    if cache_root is not None:
        # A cache the worker cannot write: the client writes the record.
        with contextlib.suppress(OSError):
            Cache(cache_root).store(kind, k, result, {"seconds": round(seconds, 3)})
    return {"ok": True, "result": result, "seconds": seconds}


@dataclass
class _Node:
    piece: Piece
    key: str | None = None
    state: str = "waiting"          # waiting, submitted, cached, done, failed, skipped
    result: dict | None = None
    error: str | None = None
    log: str | None = None
    seconds: float | None = None

    @property
    def resolved(self) -> bool:
        return self.state in ("cached", "done", "failed", "skipped")


@dataclass
class PointResult:
    point: Point
    state: str = "waiting"          # waiting, running, done, cached, failed
    area: dict | None = None
    energy: dict | None = None
    networks: dict | None = None     # network -> figures (compose_networks)
    accuracy: dict | None = None     # model -> the accuracy record
    failures: list = field(default_factory=list)     # (piece label, reason, log)
    keys: dict = field(default_factory=dict)         # piece label -> cache key


class _Inline:
    """A finished future for the serial engine."""

    def __init__(self, value):
        self.value, self.status = value, "finished"

    def result(self):
        return self.value


class Engine:
    """Resolve, cache and run every piece of a sweep; compose every point.

    Parameters
    ----------
    sweep : Sweep
    client : distributed.Client or None
        None runs every piece in this process, one after another.
    cache : Cache
    workdir : Path
        Scratch folders of the pieces (on each worker's file system).
    versions : dict
        Tool -> version, as the workers reported them (:func:`sweep.cluster.check_workers`).
    progress : callable
        ``progress(event, engine)``; events ``"start"``, ``"point"`` (a point
        finished; ``engine.last`` is its :class:`PointResult`), ``"tick"`` and ``"end"``.
    """

    def __init__(self, sweep: Sweep, client, cache: Cache, workdir: Path, versions: dict,
                 progress=None, worker_cache: bool = True):
        self.sweep, self.client, self.cache = sweep, client, cache
        self.workdir = Path(workdir)
        self.versions = versions
        self.code = flows.code_versions()
        self.progress = progress or (lambda event, engine: None)
        self.worker_cache = worker_cache
        self.nodes: dict[Piece, _Node] = {}
        self.by_key: dict[tuple, list[_Node]] = {}       # (kind, key) -> nodes in flight
        self.inflight: dict = {}                         # future -> (kind, key)
        self.futures: dict[tuple, object] = {}           # (kind, key) -> future
        self.scattered: dict[tuple, object] = {}
        self.points: dict[Point, PointResult] = {}
        self.needs: dict[Point, dict] = {}
        self.last: PointResult | None = None
        self.start = time.monotonic()
        self.known_seconds: dict[str, list[float]] = {}
        self.running_keys: set = set()
        self.threads: dict = {}
        self.counts = {"computed": 0, "cached": 0, "failed": 0, "skipped": 0}
        self.users: dict[Piece, list[Point]] = {}       # piece -> points that need it
        self.closures: dict[Point, list[_Node]] = {}
        self.liberty_sha: dict[str, str | None] = {}

    # -------------------------------------------------------------- graph

    def _node(self, piece: Piece) -> _Node:
        node = self.nodes.get(piece)
        if node is None:
            node = self.nodes[piece] = _Node(piece)
            for dep in piece.deps:
                self._node(dep)
        return node

    def _key(self, node: _Node) -> str:
        piece = node.piece
        params = {k: v for k, v in piece.param_dict().items() if k != "liberty"}
        deps = []
        for dep in piece.deps:
            d = self.nodes[dep]
            # Content where the input has one (the Verilog), else the input's own key.
            sha = d.result.get("sha") if isinstance(d.result, dict) else None
            deps.append(sha or d.key)
        tools = {t: self.versions.get(t) for t in flows.TOOLS[piece.kind]}
        return key(piece.kind, {"params": params, "inputs": deps, "tools": tools,
                                "code": self.code[piece.kind]})

    def _known(self, kind: str, seconds: float | None) -> None:
        if seconds is not None:
            self.known_seconds.setdefault(kind, []).append(seconds)

    def _resolve(self, node: _Node, state: str, result=None, error=None, log=None,
                 seconds=None) -> None:
        node.state, node.result, node.error, node.log, node.seconds = (state, result, error,
                                                                       log, seconds)
        self.counts["computed" if state == "done" else state] += 1

    def _advance(self) -> bool:
        """Look up or submit every piece whose inputs are resolved; True when any changed."""
        changed = False
        for node in list(self.nodes.values()):
            if node.state != "waiting":
                continue
            deps = [self.nodes[d] for d in node.piece.deps]
            if not all(d.resolved for d in deps):
                continue
            failed = [d for d in deps if d.state == "failed"]
            changed = True
            if failed:
                self._resolve(node, "failed", error=f"needs {failed[0].piece.label}, "
                                                    "which failed")
                continue
            if all(self.points[p].state == "failed" for p in self.users[node.piece]):
                self._resolve(node, "skipped")     # every point that needs it has failed
                continue
            node.key = self._key(node)
            kind = node.piece.kind
            peers = self.by_key.get((kind, node.key))
            if peers:                        # the same piece of another point: in flight
                peers.append(node)
                node.state = "submitted"
                continue
            cached = self.cache.load(kind, node.key)
            if cached is not None:
                self._resolve(node, "cached", cached)
                continue
            self._submit(node, deps)
        return changed

    def _input(self, dep: _Node):
        """What a task takes for one input: its future when computed now, else the record."""
        fk = (dep.piece.kind, dep.key)
        if self.client is None:
            return {"ok": True, "result": dep.result}
        if fk in self.futures:
            return self.futures[fk]
        if fk not in self.scattered:
            self.scattered[fk] = self.client.scatter([{"ok": True, "result": dep.result}],
                                                     hash=False)[0]
        return self.scattered[fk]

    def _submit(self, node: _Node, deps: list) -> None:
        kind, k = node.piece.kind, node.key
        args = (kind, node.piece.param_dict(), [self._input(d) for d in deps], k,
                str(self.workdir), str(self.cache.root) if self.worker_cache else None)
        node.state = "submitted"
        self.by_key[(kind, k)] = [node]
        if self.client is None:
            future = _Inline(run_piece(*args))
        else:
            future = self.client.submit(run_piece, *args, key=f"{kind}-{k}", pure=False)
        self.futures[(kind, k)] = future
        self.inflight[future] = (kind, k)

    def _finish(self, future) -> None:
        kind, k = self.inflight.pop(future)
        nodes = self.by_key.pop((kind, k))
        if future.status == "finished":
            out = future.result()
        else:                                # a task that erred in Dask itself (KilledWorker)
            try:
                exc = future.exception()
                reason = f"{type(exc).__name__}: {exc}"
            except Exception as e:  # noqa: BLE001  (cancelled: the cluster went away)
                reason = f"{type(e).__name__}: {e}"
            out = {"ok": False, "error": " ".join(reason.split()), "log": None}
        if out["ok"]:
            if not self.cache.has(kind, k):
                self.cache.store(kind, k, out["result"], {"seconds": round(out["seconds"], 3)})
            self._known(kind, out["seconds"])
        for i, node in enumerate(nodes):
            if out["ok"]:
                # Only the first node counts as computed; its peers share the result.
                self._resolve(node, "done" if i == 0 else "cached", out["result"],
                              seconds=out["seconds"])
            else:
                self._resolve(node, "failed", error=out["error"], log=out.get("log"))

    # -------------------------------------------------------------- points

    def _point_state(self, point: Point) -> str:
        pr = self.points[point]
        if pr.state in ("done", "cached", "failed"):
            return pr.state
        nodes = self._closure(point)
        if any(n.state == "failed" for n in nodes):
            return "failed"
        if all(n.resolved for n in nodes):
            return "cached" if all(n.state == "cached" for n in nodes) else "done"
        if any(n.state == "submitted" and (n.piece.kind, n.key) in self.running_keys
               for n in nodes):
            return "running"
        return "waiting"

    def _closure(self, point: Point) -> list[_Node]:
        """Every node a point's figures depend on (its pieces and their inputs)."""
        if point not in self.closures:
            out, todo = {}, [p for items in self.needs[point].values() for _, _, p in items]
            while todo:
                p = todo.pop()
                if p not in out:
                    out[p] = self.nodes[p]
                    todo.extend(p.deps)
            self.closures[point] = list(out.values())
        return self.closures[point]

    def _compose(self, point: Point) -> None:
        pr = self.points[point]
        pr.state = self._point_state(point)
        nodes = self._closure(point)
        pr.keys = {n.piece.label: n.key for n in sorted(nodes, key=lambda n: n.piece.label)
                   if n.key}
        p, need = point, self.needs[point]
        if pr.state == "failed":
            pr.failures = [(n.piece.label, n.error, n.log) for n in nodes
                           if n.state == "failed" and not n.error.startswith("needs ")]
        # A failed point keeps the figures of the flows whose pieces all succeeded.
        ok = {flow: all(self.nodes[pc].state in ("done", "cached") for _, _, pc in items)
              for flow, items in need.items()}
        if ok.get("accuracy"):
            pr.accuracy = {m: self.nodes[pc].result for m, _, pc in need["accuracy"]}
        if ok.get("area"):
            args = (p.arch, p.variant, p.rows, p.cols, p.acc_width)
            area = flows.compose_area(*args, {u: self.nodes[pc].result
                                              for u, _, pc in need["area"]})
            if "area" in self.sweep.flows:
                pr.area = area
            if ok.get("power"):
                pr.energy = flows.compose_energy(*args, p.period,
                                                 {u: self.nodes[pc].result
                                                  for u, _, pc in need["power"]},
                                                 area["macs_per_cycle"])
        if ok.get("networks"):
            pr.networks = flows.compose_networks(
                {net: self.nodes[pc].result for net, _, pc in need["networks"]}, pr.energy)

    # -------------------------------------------------------------- run

    def seconds_left(self) -> float | None:
        """Expected seconds of every piece not resolved yet, over the worker threads."""
        threads = max(1, sum(self.threads.values())) if self.client is not None else 1
        total = 0.0
        for node in self.nodes.values():
            if not node.resolved:
                known = self.known_seconds.get(node.piece.kind)
                total += (sum(known) / len(known)) if known else PRIOR_SECONDS[node.piece.kind]
        return total / threads

    def state_counts(self) -> dict:
        counts = dict.fromkeys(("waiting", "running", "done", "cached", "failed"), 0)
        for pr in self.points.values():
            counts[pr.state] += 1
        return counts

    def _liberty_sha(self, path: str) -> str | None:
        if path not in self.liberty_sha:
            self.liberty_sha[path] = flows.sha256_file(path)
        return self.liberty_sha[path]

    def _update_points(self) -> None:
        for point, pr in self.points.items():
            if pr.state in ("done", "cached", "failed"):
                continue
            state = self._point_state(point)
            if state in ("done", "cached", "failed"):
                self._compose(point)
                self.last = pr
                self.progress("point", self)
            else:
                pr.state = state

    def _running(self) -> set:
        if self.client is None:
            return set()
        try:
            processing = self.client.processing()
        except (OSError, TimeoutError):
            return self.running_keys
        with contextlib.suppress(OSError, TimeoutError):
            self.threads = self.client.nthreads()
        names = {k for keys in processing.values() for k in keys}
        return {tuple(n.split("-", 1)) for n in names if isinstance(n, str) and "-" in n}

    def run(self) -> list[PointResult]:
        for point in self.sweep.points:
            self.points[point] = PointResult(point)
            self.needs[point] = pieces_of(point, self.sweep, self._liberty_sha(point.liberty))
            for items in self.needs[point].values():
                for _, _, piece in items:
                    self._node(piece)
            for node in self._closure(point):
                self.users.setdefault(node.piece, []).append(point)
        self.progress("start", self)
        last_tick = 0.0
        while True:
            while self._advance():
                pass
            if self.client is None:
                for future in list(self.inflight):
                    self._finish(future)
                    self._update_points()
                    self.progress("tick", self)
                    while self._advance():
                        pass
                if not self.inflight:
                    break
                continue
            self._update_points()
            if not self.inflight:
                break
            done = self._wait(1.0)
            for future in done:
                self._finish(future)
            now = time.monotonic()
            if now - last_tick >= 1.0 or done:
                self.running_keys = self._running()
                self._update_points()
                self.progress("tick", self)
                last_tick = now
        self._update_points()
        self.progress("end", self)
        return [self.points[p] for p in self.sweep.points]

    def _wait(self, timeout: float) -> list:
        from distributed import wait
        try:
            done, _ = wait(list(self.inflight), timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            done = []
        if self.client.status not in ("running", "connecting", "newly-created"):
            raise Interrupted(f"the Dask client is {self.client.status}: the scheduler went away")
        return [f for f in done if f in self.inflight]
