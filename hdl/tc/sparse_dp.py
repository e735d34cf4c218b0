"""The sparse tensor-core DP unit: selection (+ trim-and-round) in front of a DP unit."""

from amaranth import Module, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.sparq import ACT_BITS
from hdl.checks import check_acc_width
from hdl.emit.hierarchy import unused
from hdl.emit.naming import module_name
from hdl.tc.group_select import POSITION_BITS
from hdl.tc.sparse_select import SparseSelect
from hdl.tc.variants import STC_DENSITY, dp_class

__all__ = ["SparseDotProduct"]


class SparseDotProduct(wiring.Component):
    """``d = a . decompress(values, positions) + c`` over k_step dense activations.

    A :class:`SparseSelect` then the DP unit of the variant (8b-8b baseline
    or SPARQ).  ``c`` and ``in_valid`` wait in ``s1_*`` registers for the
    TRUs (SPARQ), so all operands are presented together; ``latency`` is
    1 (baseline) or 2 (SPARQ).  This is the STC "PE" emitted on its own; the
    sparse tensor core wires the same parts with its own accumulation.

    Parameters
    ----------
    variant : str
        ``"8b8b"`` (k_step 8) or ``"sparq"`` (k_step 16).
    config : golden.sparq.Config or None
        Required for ``"sparq"``.
    acc_width : int
        Width of ``c`` and ``d`` (default 32).

    Members
    -------
    clk : In(1)
        Clock of the ``sync`` domain; every register samples on its rising edge.
    rst : In(1)
        Synchronous reset, active high: clears every register to 0 (SPARQ: the
        trim-and-round units and the ``s1_*`` registers; both: ``out_d`` and
        ``out_valid``).  Required before the first operands: until then
        ``out_valid`` is unknown.
    in_valid : In(1)
        The operands are valid this cycle; ``out_d`` loads their result
        ``latency`` cycles later.  While it is low the unit ignores every other
        input.
    in_a : In(ArrayLayout(unsigned(8), k_step))
        ``k_step`` dense activation codes, ``a[k]`` in bits ``[8k +: 8]``:
        ``k_step / 4`` aligned groups of 4 (group ``g`` is ``a[4g .. 4g+3]``).
    in_values : In(ArrayLayout(signed(8), k_step / 2))
        The compressed 2:4 weights, ``values[i]`` in bits ``[8i +: 8]``: slots
        ``2g`` and ``2g+1`` hold group ``g``'s non-zero weights.  Each slot's
        value multiplies ``a[4g + positions[i]]``; a slot whose value is 0
        selects nothing (its position is ignored), so a group with fewer than
        two non-zero weights fills the spare slots with value 0.  The order of a
        group's two slots does not matter (the result is the same either way);
        :func:`golden.sparq.compress_2to4` writes them in ascending position
        order with a spare slot as value 0 at position 0.  Two non-zero values
        of one group must not share a position.
    in_positions : In(ArrayLayout(unsigned(2), k_step / 2))
        ``positions[i]`` in bits ``[2i +: 2]``: the place (0..3) of
        ``values[i]`` inside its group.
    in_c : In(signed(acc_width))
        The third operand (partial sum), two's complement.
    out_valid : Out(1)
        ``out_d`` holds the result of operands presented ``latency`` cycles
        earlier.
    out_d : Out(signed(acc_width))
        ``a . decompress(values, positions) + c``, registered and wrapped to
        ``acc_width`` bits; held while no result arrives.
    """

    def __init__(self, *, variant, config=None, acc_width=32):
        self._dp = dp_class(variant, arrays=True)
        self._variant = variant
        self._acc_width = check_acc_width(acc_width)
        self._config = config
        self._select_latency = unused(self._make_select()).latency       # checks config
        k = self.k_step
        super().__init__({
            "in_valid": In(1),
            "in_a": In(data.ArrayLayout(unsigned(ACT_BITS), k)),
            "in_values": In(data.ArrayLayout(signed(ACT_BITS), k // 2)),
            "in_positions": In(data.ArrayLayout(unsigned(POSITION_BITS), k // 2)),
            "in_c": In(signed(acc_width)),
            "out_valid": Out(1),
            "out_d": Out(signed(acc_width)),
        })

    @property
    def dp_class(self):
        """The DP unit variant behind the selection."""
        return self._dp

    @property
    def config(self):
        return self._config

    @property
    def k_step(self) -> int:
        """Dense K a cycle: twice the DP unit's (2:4)."""
        return STC_DENSITY * self._dp.k_step

    @property
    def latency(self) -> int:
        return self._select_latency + 1

    def _make_select(self) -> SparseSelect:
        return SparseSelect(variant=self._variant, config=self._config)

    @property
    def module_name(self) -> str:
        return module_name("stc_dp", self._config or self._variant, f"acc{self._acc_width}")

    def elaborate(self, platform):
        m = Module()
        m.submodules.select = sel = self._make_select()
        m.d.comb += [sel.in_valid.eq(self.in_valid), sel.in_a.eq(self.in_a),
                     sel.in_values.eq(self.in_values), sel.in_positions.eq(self.in_positions)]
        m.submodules.dp = dp = self._dp.build(self._config, self._acc_width)
        if self._dp.takes_words:        # the weights and c wait for the TRUs
            values, c = Signal.like(self.in_values, name="s1_values"), Signal.like(self.in_c,
                                                                                   name="s1_c")
            m.d.sync += [values.eq(self.in_values), c.eq(self.in_c)]
            m.d.comb += dp.in_words.eq(sel.out_words)
        else:
            values, c = self.in_values, self.in_c
            m.d.comb += dp.in_a.eq(sel.out_a)
        m.d.comb += [dp.in_valid.eq(sel.out_valid), dp.in_b.eq(values), dp.in_c.eq(c),
                     self.out_valid.eq(dp.out_valid), self.out_d.eq(dp.out_d)]
        return m
