"""Faults on a LocalCluster of two worker processes: a worker killed mid-sweep, a point whose
tool fails, a rerun served from the cache, Ctrl-C, and a sweep process killed outright.

The sweeps are area-only on small units (accumulator 8): each synthesis takes seconds.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from sweep import cluster, report
from sweep.cache import Cache
from sweep.engine import Engine
from sweep.spec import load
from tests.sweep.conftest import QUICK, ROOT, write_spec

#: Nine units (six PEs, three TRUs): long enough to interrupt in the middle.
LONGER = """
flows = ["area"]
[[points]]
archs = ["sa"]
variants = ["8b8b", "2x4b8b", "2opt", "3opt", "4opt", "sysmt"]
sizes = ["4x4"]
acc_widths = [8]
"""


def test_a_worker_killed_mid_sweep_loses_no_point(tmp_path):
    sweep = load(write_spec(tmp_path / "s.toml", LONGER))
    killed = []

    def kill_a_busy_worker(event, engine):
        if event != "tick" or killed:
            return
        busy = [w for w, keys in engine.client.processing().items()
                if any(str(k).startswith("synth-") for k in keys)]
        if busy:
            pid = engine.client.run(os.getpid, workers=busy[:1])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    with cluster.client(workers=2, dashboard_address="127.0.0.1:0") as c:
        versions = cluster.check_workers(c, {"emit", "synth"})
        engine = Engine(sweep, c, Cache(tmp_path / "cache"), tmp_path / "work", versions,
                        kill_a_busy_worker)
        results = engine.run()
        alive = set(c.run(os.getpid).values())
    assert killed, "no synthesis was seen running: nothing was killed"
    assert killed[0] not in alive
    assert [r.state for r in results] == ["done"] * len(sweep.points), \
        [(r.point.label, r.state, r.failures) for r in results]
    rows = report.rows(results)
    assert [r["label"] for r in rows] == [p.label for p in sweep.points]
    # Every point's figure is its units' records times their counts (the record of the
    # task that was run again included, once).
    for r in results:
        units = r.area["units"]
        assert r.area["area"] == pytest.approx(sum(u["count"] * u["unit_area"]
                                                   for u in units.values()))
    assert Cache(tmp_path / "cache").verify() == []


def test_a_failing_tool_fails_its_point_only(sweep_cli, tmp_path):
    spec = write_spec(tmp_path / "s.toml", QUICK + """
[[points]]
archs = ["sa"]
variants = ["8b8b"]
sizes = ["2x2"]
acc_widths = [9]
liberties = ["/nonexistent/missing.lib"]
""")
    proc = sweep_cli(spec)
    assert proc.returncode == 1, proc.stderr
    md = (tmp_path / "out" / "sweep.md").read_text()
    assert "**Incomplete: 1 of 5 points failed**" in md
    line = next(x for x in md.splitlines() if x.startswith("- sa 2x2 8b8b acc9:"))
    assert "liberty file /nonexistent/missing.lib not found on this worker" in line
    log = Path(line.split("(log ")[1].rstrip(")"))
    assert log.is_file() and "FlowError" in log.read_text()
    assert md.count("| ok |") == 4
    assert "FAILED in synth sa_pe 8b8b acc9" in proc.stderr


def test_a_rerun_does_no_work_and_writes_the_same_report(sweep_cli, tmp_path):
    spec = write_spec(tmp_path / "s.toml", QUICK)
    first = sweep_cli(spec)
    assert first.returncode == 0, first.stderr
    out = tmp_path / "out"
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    second = sweep_cli(spec)
    assert second.returncode == 0, second.stderr
    assert "pieces: 0 computed, 6 from the cache, 0 failed" in second.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def _start(tmp_path, spec):
    cmd = [sys.executable, "-m", "sweep", str(spec), "--cache", str(tmp_path / "cache"),
           "--workdir", str(tmp_path / "work"), "-o", str(tmp_path / "out"),
           "--progress", "lines"]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True,
                            env={**os.environ, "AMARANTH_USE_YOSYS": "builtin"})


def _wait_for_points(proc, n: int, timeout: float = 300) -> list[str]:
    """stderr lines up to the n-th finished point."""
    lines, end = [], time.monotonic() + timeout
    while time.monotonic() < end:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if sum("sweep: [" in x for x in lines) >= n:
            return lines
    proc.kill()
    pytest.fail("the sweep ended or stalled before finishing a point:\n" + "".join(lines))


def _reap(pids) -> None:
    """Wait for a sweep's processes to end (a tool a worker started may finish its run)."""
    procs = [psutil.Process(pid) for pid in pids if psutil.pid_exists(pid)]
    _, alive = psutil.wait_procs(procs, timeout=30)
    for p in alive:
        p.kill()
    assert not alive, f"processes left running: {[p.pid for p in alive]}"


def _children(pid: int) -> list[int]:
    return [c.pid for c in psutil.Process(pid).children(recursive=True)]


def test_ctrl_c_prints_one_line_exits_130_and_keeps_the_cache(tmp_path):
    proc = _start(tmp_path, write_spec(tmp_path / "s.toml", LONGER))
    _wait_for_points(proc, 1)
    children = _children(proc.pid)
    os.killpg(proc.pid, signal.SIGINT)         # what a terminal's Ctrl-C does
    _, err = proc.communicate(timeout=120)
    _reap(children)
    assert proc.returncode == 130, err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("sweep: interrupted;") and "run the same command again" in err
    cache = Cache(tmp_path / "cache")
    assert cache.verify() == [] and cache.records()


def test_a_killed_sweep_resumes_from_the_cache(tmp_path, sweep_cli):
    spec = write_spec(tmp_path / "s.toml", LONGER)
    proc = _start(tmp_path, spec)
    _wait_for_points(proc, 2)
    children = _children(proc.pid)
    proc.kill()                                  # the client and its scheduler, at once
    proc.communicate(timeout=60)
    _reap(children)
    done = len(Cache(tmp_path / "cache").records())
    assert Cache(tmp_path / "cache").verify() == []
    rerun = sweep_cli(spec)
    assert rerun.returncode == 0, rerun.stderr
    summary = next(x for x in rerun.stderr.splitlines() if "pieces:" in x)
    computed = int(summary.split("pieces: ")[1].split(" computed")[0])
    cached = int(summary.split("computed, ")[1].split(" from")[0])
    assert cached >= done >= 4 and computed + cached == 18, summary


def test_a_tool_missing_on_the_workers_is_one_line(tmp_path):
    """Without OpenSTA on PATH the workers report it before any piece runs (exit code 2)."""
    spec = write_spec(tmp_path / "s.toml", QUICK)
    env = {**os.environ, "PATH": str(Path(sys.executable).parent),
           "AMARANTH_USE_YOSYS": "builtin"}
    proc = subprocess.run([sys.executable, "-m", "sweep", str(spec), "--cache",
                           str(tmp_path / "cache"), "--workdir", str(tmp_path / "work"), "-o",
                           str(tmp_path / "out"), "--progress", "lines"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("python -m sweep: error: missing on the workers: ")
    assert last.count("sta (OpenSTA ('sta') not found") == 2       # both workers
    assert not (tmp_path / "cache").exists() or not Cache(tmp_path / "cache").records()
