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
        cycle = 0
        for tx in transactions:
            await RisingEdge(clk)
            cycle += 1
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
    bad = [i for i, (e, a) in enumerate(zip(expected, actual)) if e != a]
    if bad:
        lines = [f"  #{i}: expected {expected[i]}, got {actual[i]}; {describe(i)}"
                 for i in bad[:limit]]
        raise AssertionError(f"{len(bad)} of {len(expected)} results differ:\n" + "\n".join(lines))
