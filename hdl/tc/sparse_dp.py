"""The sparse tensor-core DP unit: selection (+ trim-and-round) in front of a DP unit."""

from amaranth import Module, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.sparq import ACT_BITS
from hdl.tc.dp_8b8b import BaselineDotProduct
from hdl.tc.dp_sparq import SparqDotProduct
from hdl.tc.group_select import POSITION_BITS
from hdl.tc.params import check_acc_width, check_config, check_variant
from hdl.tc.sparse_select import SparseSelect, stc_k_step

__all__ = ["SparseDotProduct"]


class SparseDotProduct(wiring.Component):
    """``d = a . decompress(values, positions) + c`` over K_STEP dense activations.

    A :class:`SparseSelect` then the DP unit of the variant (8b-8b baseline
    or SPARQ).  ``c`` and ``in_valid`` wait in ``s1_*`` registers for the
    TRUs (SPARQ), so all operands are presented together; ``latency`` is
    1 (baseline) or 2 (SPARQ).  This is the STC "PE" emitted on its own; the
    sparse tensor core wires the same parts with its own accumulation.

    Parameters
    ----------
    variant : str
        ``"8b8b"`` (K_STEP 8) or ``"sparq"`` (K_STEP 16).
    config : golden.sparq.Config or None
        Required for ``"sparq"``.
    acc_width : int
        Width of ``c`` and ``d`` (default 32).

    Members
    -------
    in_valid : In(1)
    in_a : In(ArrayLayout(unsigned(8), K_STEP))
        Dense activations of ``K_STEP / 4`` aligned groups of 4.
    in_values : In(ArrayLayout(signed(8), K_STEP / 2))
        Compressed 2:4 weights (golden.sparq.compress_2to4 order).
    in_positions : In(ArrayLayout(unsigned(2), K_STEP / 2))
        Their positions inside their group.
    in_c : In(signed(acc_width))
    out_valid : Out(1)
    out_d : Out(signed(acc_width))
        Registered, wrapped; held while no result arrives.
    """

    def __init__(self, *, variant, config=None, acc_width=32):
        self._variant = check_variant(variant, ("8b8b", "sparq"))
        self._config = check_config(config) if variant == "sparq" else None
        self._acc_width = check_acc_width(acc_width)
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
    def k_step(self) -> int:
        return stc_k_step(self._variant)

    @property
    def latency(self) -> int:
        return 2 if self._variant == "sparq" else 1

    def elaborate(self, platform):
        m = Module()
        m.submodules.select = sel = SparseSelect(variant=self._variant, config=self._config)
        m.d.comb += [sel.in_valid.eq(self.in_valid), sel.in_a.eq(self.in_a),
                     sel.in_values.eq(self.in_values), sel.in_positions.eq(self.in_positions)]
        if self._variant == "sparq":
            m.submodules.dp = dp = SparqDotProduct(config=self._config, acc_width=self._acc_width)
            values, c = Signal.like(self.in_values, name="s1_values"), Signal.like(self.in_c,
                                                                                   name="s1_c")
            m.d.sync += [values.eq(self.in_values), c.eq(self.in_c)]
            m.d.comb += dp.in_words.eq(sel.out_words)
        else:
            m.submodules.dp = dp = BaselineDotProduct(acc_width=self._acc_width)
            values, c = self.in_values, self.in_c
            m.d.comb += dp.in_a.eq(sel.out_a)
        m.d.comb += [dp.in_valid.eq(sel.out_valid), dp.in_b.eq(values), dp.in_c.eq(c),
                     self.out_valid.eq(dp.out_valid), self.out_d.eq(dp.out_d)]
        return m
