"""cocotb building blocks shared by the benches: clock, driver, monitor, scoreboard.

Timing convention: a driver writes right after a rising edge, so the design
samples the value at the next edge; a monitor samples in the read-only phase
after an edge, so it sees what that edge registered.  Both count edges from
the same start, so an input written after edge ``c`` that shows at edge
``c + latency`` is recorded with cycle numbers ``c`` and ``c + latency``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

CLOCK_NS = 10


async def start_clock_and_reset(dut, cycles: int = 2) -> None:
    """Start ``dut.clk`` and hold ``dut.rst`` for ``cycles`` edges."""
    cocotb.start_soon(Clock(dut.clk, CLOCK_NS, unit="ns").start())
    dut.rst.value = 1
    await ClockCycles(dut.clk, cycles)
    dut.rst.value = 0


@dataclass
class Driver:
    """Writes one transaction (a dict of port -> int) per cycle; ``None`` is idle.

    ``idle`` is written on idle cycles (it may hold garbage data with the valid
    bit low, to check that the design ignores it).  ``sent`` records
    ``(cycle, transaction)`` for every non-idle cycle.
    """

    dut: object
    idle: Callable[[], dict]
    sent: list = field(default_factory=list)

    async def run(self, transactions: Iterable[dict | None]) -> None:
        clk = self.dut.clk
        for cycle, tx in enumerate(transactions, 1):
            await RisingEdge(clk)
            for port, value in (tx if tx is not None else self.idle()).items():
                getattr(self.dut, port).value = value
            if tx is not None:
                self.sent.append((cycle, tx))
        await RisingEdge(clk)
        for port, value in self.idle().items():
            getattr(self.dut, port).value = value


@dataclass
class Monitor:
    """Records ``(cycle, sample())`` on every edge where ``valid`` reads 1."""

    dut: object
    valid: str
    sample: Callable[[object], object]
    seen: list = field(default_factory=list)

    async def run(self, cycles: int) -> None:
        clk, valid = self.dut.clk, getattr(self.dut, self.valid)
        for cycle in range(1, cycles + 1):
            await RisingEdge(clk)
            await ReadOnly()
            if valid.value == 1:
                self.seen.append((cycle, self.sample(self.dut)))


def scoreboard(expected: list, actual: list, describe: Callable[[int], str] = str,
               limit: int = 8) -> None:
    """Assert ``actual == expected`` item by item, reporting the first mismatches."""
    assert len(actual) == len(expected), \
        f"expected {len(expected)} results, the design produced {len(actual)}"
    bad = [i for i, (e, a) in enumerate(zip(expected, actual, strict=True)) if e != a]
    if bad:
        lines = [f"  #{i}: expected {expected[i]}, got {actual[i]}; {describe(i)}"
                 for i in bad[:limit]]
        raise AssertionError(f"{len(bad)} of {len(expected)} results differ:\n" + "\n".join(lines))


class StreamBench:
    """Driver, monitor, model and scoreboard of a streaming design, kept apart.

    In the spirit of cocotb's ``examples/matrix_multiplier``: a subclass (one
    per kind of design) supplies only

    - :meth:`items`: the operand sets (the stimulus generator);
    - :meth:`beats`: the port values of one item, one dict per beat (the port
      packer);
    - :meth:`expect`: what the design must produce for it (the model);
    - :meth:`offsets`: when, in cycles after the item's last beat;
    - :meth:`sample`: what the monitor reads from the outputs on a valid cycle;
    - :meth:`idle`: the inputs on an idle cycle (garbage data, valid low).

    :meth:`run` drives every item, with random idle cycles between beats,
    records what the design produces, and checks the values against the
    model and the cycle of each against :meth:`offsets`.
    """

    #: Output port that marks a result, and the share of idle cycles between beats.
    valid = "out_valid"
    idle_rate = 0.2

    def __init__(self, args, rng):
        self.args, self.rng = args, rng

    def items(self) -> list:
        raise NotImplementedError

    def beats(self, item) -> list[dict]:
        raise NotImplementedError

    def expect(self, item) -> list:
        raise NotImplementedError

    def offsets(self, item) -> list[int]:
        """Cycles from the item's last beat to each of its results."""
        return [self.args.latency] * len(self.expect(item))

    def sample(self, dut):
        raise NotImplementedError

    def idle(self) -> dict:
        raise NotImplementedError

    def padding(self, index: int, item) -> int:
        """Idle cycles the protocol needs before item ``index`` (none by default)."""
        return 0

    def describe(self, item) -> str:
        return ""

    def transactions(self, items) -> tuple[list, list[int]]:
        """Per-cycle transactions and the number of beats of each item."""
        txs, counts = [], []
        for index, item in enumerate(items):
            txs += [None] * self.padding(index, item)
            beats = self.beats(item)
            for beat in beats:
                while self.rng.random() < self.idle_rate:
                    txs.append(None)
                txs.append(beat)
            counts.append(len(beats))
        return txs, counts

    async def run(self, dut, extra_cycles: int = 8):
        """Drive, monitor, score; returns ``(items, beat cycles per item, result cycles)``."""
        items = self.items()
        txs, counts = self.transactions(items)
        driver = Driver(dut, idle=self.idle)
        monitor = Monitor(dut, self.valid, self.sample)
        await start_clock_and_reset(dut)
        horizon = len(txs) + max(max(self.offsets(i)) for i in items) + extra_cycles
        watch = cocotb.start_soon(monitor.run(horizon))
        await driver.run(txs)
        await watch

        owners = [n for n, item in enumerate(items) for _ in self.expect(item)]
        expected = [e for item in items for e in self.expect(item)]
        scoreboard(expected, [s for _, s in monitor.seen],
                   lambda i: self.describe(items[owners[i]]) if i < len(owners) else "")
        starts = [sum(counts[:n]) for n in range(len(items))]
        beat_cycles = [[c for c, _ in driver.sent[s:s + n]]
                       for s, n in zip(starts, counts, strict=True)]
        want = [cycles[-1] + off
                for item, cycles in zip(items, beat_cycles, strict=True)
                for off in self.offsets(item)]
        got = [cycle for cycle, _ in monitor.seen]
        assert got == want, f"results at cycles {got[:8]}..., the design documents {want[:8]}..."
        return items, beat_cycles, got
