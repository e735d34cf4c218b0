"""Verilog text of components: deterministic, and correct from time 0 under any standard.

Yosys's Verilog backend makes every ``always @*`` block run once at time 0
by reading a trigger register declared ``reg t = 0``.  Under Verilog-2005 the
initialiser is an assignment at time 0, which wakes the blocks; under IEEE
1800 (``iverilog -g2012``, commercial simulators in SystemVerilog mode)
variable initialisers run before any process starts, the blocks never wake,
and their outputs stay X until an input changes (wrong results after a
reset with inputs at 0).  :func:`portable` replaces each initialiser, for
event-driven simulators, by an ``initial`` block that writes the trigger after
a ``#0`` delay: every ``always`` block is then waiting, under both standards,
and runs once.  Tools that evaluate the logic at time 0 themselves and may
refuse a delay keep the original line: Verilator (which needs ``--timing``
for delays) and Yosys (``SYNTHESIS``, or ``FORMAL`` with ``read_verilog
-formal``).
"""

from __future__ import annotations

import re

from amaranth.back import verilog

__all__ = ["convert", "portable"]

_TRIGGER = re.compile(r"^(\s*)reg (\\\$auto\$verilog_backend[^ ]* ) = 0;$", re.M)
_PORTABLE = ("`ifdef VERILATOR\n\\1reg \\2 = 0;\n`elsif SYNTHESIS\n\\1reg \\2 = 0;\n"
             "`elsif FORMAL\n\\1reg \\2 = 0;\n"
             "`else  // event-driven simulators: wake every always @* at time 0, IEEE 1800 too\n"
             "\\1reg \\2;\n\\1initial #0 \\2 = 1'b0;\n`endif")


def portable(text: str) -> str:
    """``text`` with the time-0 triggers of ``always @*`` blocks written after ``#0``."""
    return _TRIGGER.sub(_PORTABLE, text)


def convert(component, name: str) -> str:
    """Deterministic Verilog of one component (no source locations), correct from time 0."""
    return portable(verilog.convert(component, name=name, emit_src=False))
