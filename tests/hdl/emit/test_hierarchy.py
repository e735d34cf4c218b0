"""The emission library: module names owned by the hierarchy, modules without a clock."""

import re

import pytest
from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.sparq import Config
from hdl.emit.hierarchy import Hierarchy, place
from hdl.emit.naming import module_name
from hdl.multiplier import Multiplier
from hdl.tru import TrimRoundUnit


class _Pair(wiring.Component):
    """Two multipliers of the given widths, placed as instances of one named module."""

    def __init__(self, hierarchy, a_bits, module):
        self._hierarchy, self._a_bits, self._module = hierarchy, a_bits, module
        super().__init__({"a": In(8), "b": In(8), "p": Out(16)})

    def elaborate(self, platform):
        m = Module()
        for i, bits in enumerate(self._a_bits):
            mult = place(m, f"mult_{i}", lambda bits=bits: Multiplier(a_bits=bits, b_bits=8),
                         self._hierarchy, {"a": self.a[:bits], "b": self.b}, module=self._module)
            if i == 0:
                m.d.comb += self.p.eq(mult.product)
        return m


def test_a_name_reused_for_a_different_module_is_refused():
    hierarchy = Hierarchy()
    with pytest.raises(ValueError, match="module name 'shared_mult' is already taken by a "
                                         "different module"):
        hierarchy.convert(_Pair(hierarchy, (4, 8), "shared_mult"), "pair")


def test_the_same_module_placed_twice_is_converted_once():
    hierarchy = Hierarchy()
    files = hierarchy.convert(_Pair(hierarchy, (4, 4), "mult4"), "pair")
    assert sorted(files) == ["mult4", "pair"]
    assert len(re.findall(r"^\s*mult4 \\?mult_\d+ \(", files["pair"], re.M)) == 2


def test_a_module_without_a_clock_gets_no_clock_ports():
    hierarchy = Hierarchy()
    files = hierarchy.convert(_Pair(hierarchy, (4,), "mult4"), "pair")
    assert "clk" not in files["mult4"]         # combinational: no clk/rst ports at all
    instance = re.search(r"mult4 \\?mult_0 \((.*?)\);", files["pair"], re.S).group(1)
    assert ".clk" not in instance and ".a(" in instance


def test_a_clocked_module_is_connected_to_the_clock():
    hierarchy = Hierarchy()
    module, _, clocked = hierarchy.record(lambda: TrimRoundUnit(config=Config.preset(3)))
    assert module == module_name("tru", Config.preset(3)) == "sparq_tru_3opt" and clocked


def test_a_component_without_a_module_name_cannot_be_placed():
    with pytest.raises(TypeError, match="Multiplier has no module_name"):
        Hierarchy().record(lambda: Multiplier(a_bits=4, b_bits=8))
