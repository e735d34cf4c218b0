"""The output-stationary systolic array: skew, trim-and-round units, rows, drain."""

from __future__ import annotations

from amaranth import Cat, Const, Module, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.sparq import Config
from hdl.checks import check_acc_width, check_choice, check_int
from hdl.emit.hierarchy import Hierarchy, place, unused
from hdl.emit.naming import module_name
from hdl.layouts import ActPair
from hdl.sa.delay import delayed
from hdl.sa.pe_base import Ctl
from hdl.sa.row import SystolicRow
from hdl.sa.skew import skewed
from hdl.sa.tile import SystolicTile
from hdl.sa.variants import pe_class
from hdl.tru import TrimRoundUnit

__all__ = ["SystolicArray", "INPUTS"]

#: What the west edge takes: raw activation codes, or (for PEs that take pair words)
#: pre-packed words from the user's own trim-and-round units.
INPUTS = ("raw", "packed")


class SystolicArray(wiring.Component):
    """``rows x cols`` output-stationary array computing ``C = A @ W`` tile by tile.

    Row ``i`` accumulates row ``i`` of ``A`` times column ``j`` of ``W`` in PE
    ``(i, j)``.  One beat carries, for every row, the activations of one
    reduction step (a pair ``x[2j], x[2j+1]`` for the pair variants, one ``x``
    for 8b-8b) and, for every column, the matching weights.  The wrapper skews
    the aligned inputs (row ``i`` and column ``j`` by ``i`` and ``j`` cycles),
    so the beat reaches PE ``(i, j)`` ``i + j`` cycles after PE ``(0, 0)``.
    For PEs that take pair words (SPARQ) with ``input="raw"`` (the default)
    each row's raw pair goes through a :class:`~hdl.tru.TrimRoundUnit` first.

    Protocol: a tile is ``P`` beats with ``in_valid`` high, ``in_first`` on the
    first and ``in_last`` on the last (both on a one-beat tile); idle cycles
    (``in_valid`` low) may appear anywhere.  Two ``in_last`` beats must be at
    least ``rows`` cycles apart (the drain needs ``rows`` cycles a tile), so a
    stream of tiles runs without a bubble when ``P >= rows``.

    Drain: when PE ``(rows-1, j)`` finishes, every PE of column ``j`` copies
    its result into the column's shift chain, which moves one row a cycle to
    the north edge; column ``j`` is then delayed ``cols - 1 - j`` cycles, so the
    result leaves as aligned rows, row 0 first, one row a cycle.

    Timing: the first result row is valid ``latency = F + rows + cols`` cycles
    after the tile's last beat was presented (``F = 1`` with the trim-and-round
    unit, else 0), row ``r`` ``r`` cycles later.

    Parameters
    ----------
    variant : str
        PE variant, a key of :data:`hdl.sa.variants.PE_VARIANTS`.
    config : Config or None
        For the variants built from a configuration (SPARQ) only.
    rows, cols : int
        Array size, 1 or more.
    acc_width : int
        Accumulator width (default 32).
    input : str
        ``"raw"``: activation codes at the west edge (SPARQ: trimmed and
        rounded there); ``"packed"``: pre-packed pair words
        (:func:`golden.sparq.encode`), for the PEs that take them.
    tile : int
        Largest tile edge (32 from the CLI): rows and columns are both cut
        at ``tile``, so the array is a grid of ``ceil(rows / tile) x
        ceil(cols / tile)`` tiles of up to ``tile x tile`` PEs (PE -> row ->
        tile -> array).  The tiling shapes the module hierarchy only: ports,
        timing and results do not depend on it.
    hierarchy : Hierarchy or None
        Emit tiles, rows, PEs, units and delays as separate instantiated
        modules, each named by its own ``module_name``.

    Members
    -------
    clk : In(1)
        Clock of the ``sync`` domain; every register samples on its rising edge.
    rst : In(1)
        Synchronous reset, active high: clears every register to 0 (the skew
        and delay lines, so every beat in flight is dropped; the trim-and-round
        units; every PE's sums and drain chain; ``out_valid`` and
        ``out_index``).  Required before the first beat: until then the valid
        bits of the skew lines and ``out_valid`` are unknown.
    in_valid : In(1)
        This cycle is a beat.  While it is low the array ignores ``in_act``,
        ``in_weight``, ``in_first`` and ``in_last``.
    in_first : In(1)
        The beat is the first of a tile: its PEs start new sums.
    in_last : In(1)
        The beat is the last of a tile: result row 0 follows ``latency`` cycles
        later.  Two ``in_last`` beats must be at least ``rows`` cycles apart.
    in_act : In(ArrayLayout(act, rows))
        Row ``i``'s activations of the beat in bits ``[i*A +: A]`` (row 0 in
        the LSBs, the row index outer).  ``A`` by variant: SPARQ (raw) and
        SySMT 16, the codes ``x[2j]`` in bits 7:0 and ``x[2j+1]`` in 15:8 of
        the row's field; SPARQ with ``--input packed`` ``word_width`` (16 for
        5opt), the pair word of :func:`golden.sparq.encode`; 8b-8b 8, one code
        ``x[j]``; 2x4b-8b 8, two 4-bit codes, ``x[2j]`` in bits 3:0 and
        ``x[2j+1]`` in bits 7:4.
    in_weight : In(ArrayLayout(weight, cols))
        Column ``n``'s weights of the beat in bits ``[n*B +: B]`` (column 0 in
        the LSBs, the column index outer).  ``B`` is 16 for the pair variants,
        ``W[2j][n]`` in bits 7:0 and ``W[2j+1][n]`` in bits 15:8 of the
        column's field, and 8 (``W[j][n]``) for 8b-8b.
    out_valid : Out(1)
        ``out_row`` holds result row ``out_index`` of a tile (``rows``
        consecutive cycles a tile, row 0 first).
    out_first : Out(1)
        ``out_valid`` and ``out_index`` is 0.
    out_last : Out(1)
        ``out_valid`` and ``out_index`` is ``rows - 1``.
    out_index : Out(range(rows))
        The result row on ``out_row``; ``max(1, ceil(log2(rows)))`` bits.
    out_row : Out(ArrayLayout(signed(acc_width), cols))
        ``C[out_index][n]`` in bits ``[n*acc_width +: acc_width]`` (column 0 in
        the LSBs), wrapped to ``acc_width`` bits; only meaningful with
        ``out_valid``.
    """

    def __init__(self, *, variant: str, config: Config | None = None, rows: int, cols: int,
                 acc_width: int = 32, input: str = "raw", tile: int = 32,
                 hierarchy: Hierarchy | None = None):
        self._pe_class = pe_class(variant)
        self._variant, self._config = variant, config
        self._rows, self._cols = check_int("rows", rows, 1), check_int("cols", cols, 1)
        self._tile = check_int("tile", tile, 1)
        self._acc_width = check_acc_width(acc_width)
        self._input = check_choice("input", input, INPUTS)
        if input == "packed" and not self._pe_class.takes_words:
            raise ValueError(f"input 'packed' needs PEs that take pair words (SPARQ); the "
                             f"{variant} PE takes activation codes")
        self._tru = self._pe_class.takes_words and input == "raw"
        self._hierarchy = hierarchy
        pe = unused(self.make_pe())
        self._label = pe.label
        pe_act = pe.signature.members["in_act"].shape
        self._pe_act = pe_act
        act = ActPair if self._tru else pe_act
        weight = pe.signature.members["in_weight"].shape
        super().__init__({
            "in_valid": In(1), "in_first": In(1), "in_last": In(1),
            "in_act": In(data.ArrayLayout(act, rows)),
            "in_weight": In(data.ArrayLayout(weight, cols)),
            "out_valid": Out(1), "out_first": Out(1), "out_last": Out(1),
            "out_index": Out(unsigned(max(1, (rows - 1).bit_length()))),
            "out_row": Out(data.ArrayLayout(signed(self._acc_width), cols)),
        })

    def make_pe(self):
        return self._pe_class.build(self._config, self._acc_width)

    @property
    def module_name(self) -> str:
        return module_name("sa_array", self._label, f"{self._rows}x{self._cols}",
                           f"acc{self._acc_width}", "packed" if self._input == "packed" else None,
                           f"tile{self._tile}" if self._tile != 32 else None)

    @property
    def pe_class(self):
        """The PE variant (its class, with ``k_step``, ``reference`` and the rest)."""
        return self._pe_class

    @property
    def k_step(self) -> int:
        """Reduction elements a beat carries."""
        return self._pe_class.k_step

    def beats(self, k: int) -> int:
        """Beats of a tile with reduction length ``k``: ``ceil(k / k_step)``."""
        return -(-k // self.k_step)

    @property
    def rows(self) -> int:
        return self._rows

    @property
    def cols(self) -> int:
        return self._cols

    @property
    def tiles(self) -> int:
        """Tiles in the grid."""
        return -(-self._rows // self._tile) * -(-self._cols // self._tile)

    @property
    def front_latency(self) -> int:
        """Cycles spent in the trim-and-round unit (1 with it, else 0)."""
        return 1 if self._tru else 0

    @property
    def latency(self) -> int:
        """Cycles from a tile's last beat to its first result row."""
        return self.front_latency + self._rows + self._cols

    def tile_cycles(self, beats: int) -> int:
        """Cycles from a lone tile's first beat to its last result row, inclusive."""
        return beats - 1 + self.latency + self._rows

    def stream_cycles(self, tiles: int, beats: int) -> int:
        """Same for ``tiles`` back-to-back tiles of ``beats`` beats, padded to ``rows``."""
        return self.mixed_stream_cycles([beats] * tiles)

    def mixed_stream_cycles(self, beats: list[int]) -> int:
        """Same for back-to-back tiles of ``beats[n]`` beats each (different K).

        Tile ``n > 0`` starts right after tile ``n - 1``'s last beat, after
        ``rows - beats[n]`` idle cycles if it is shorter than ``rows`` (two
        ``in_last`` beats must be ``rows`` cycles apart), so its last beat
        comes ``max(beats[n], rows)`` cycles after the previous one.
        """
        last = beats[0] - 1 + sum(max(b, self._rows) for b in beats[1:])
        return last + self.latency + self._rows

    # ---------------------------------------------------------------- elaboration

    def _front(self, m):
        """Per-row words, control and per-column weights after the edge units."""
        ctl = Signal(Ctl, name="front_ctl")
        ctl_in = Cat(self.in_valid, self.in_first & self.in_valid, self.in_last & self.in_valid)
        if not self._tru:
            m.d.comb += ctl.eq(ctl_in)
            return [self.in_act[i] for i in range(self._rows)], ctl, self.in_weight
        weight = Signal.like(self.in_weight, name="front_weight")
        m.d.sync += [ctl.eq(ctl_in), weight.eq(self.in_weight)]
        words = []
        for i in range(self._rows):
            unit = place(m, f"tru_{i}", lambda: TrimRoundUnit(config=self._config),
                         self._hierarchy, {"in_valid": self.in_valid, "in_pair": self.in_act[i]})
            words.append(unit.out_word)
        return words, ctl, weight

    def _make_tile(self, rows: int, cols: int):
        hierarchy = self._hierarchy

        def make_row():
            return SystolicRow(make_pe=self.make_pe, cols=cols, hierarchy=hierarchy)
        return SystolicTile(make_row=make_row, rows=rows, hierarchy=hierarchy)

    def _skewed(self, m, name: str, lanes: list, offset: int, reverse: bool = False):
        """Lanes skewed by one cycle each (reversed: the last lane first), plus ``offset``."""
        width = len(Cat(lanes[0]))
        hier = self._hierarchy
        bus = skewed(m, name, Cat(lanes), width, len(lanes), reverse, hier)
        bus = delayed(m, name, bus, offset, hier)
        return [bus[k * width:(k + 1) * width] for k in range(len(lanes))]

    def elaborate(self, platform):
        m = Module()
        R, C, acc, T = self._rows, self._cols, self._acc_width, self._tile
        words, ctl, weights = self._front(m)
        row_spans = [(r, min(r + T, R)) for r in range(0, R, T)]
        col_spans = [(c, min(c + T, C)) for c in range(0, C, T)]
        act_w, ctl_w = len(Cat(words[0])), len(ctl.as_value())
        w_w = len(Cat(weights[0]))
        load = Signal(C, name="drain_load")
        # Wires between tiles: activations/control east, weights south, drain north.
        act, ctl_bus, wgt, drain = {}, {}, {}, {}
        for a, (r0, r1) in enumerate(row_spans):
            band = self._skewed(m, f"skew_rows_{r0}", [Cat(words[i], ctl) for i in range(r0, r1)],
                                r0)
            act[a, 0] = Cat(lane[:act_w] for lane in band)
            ctl_bus[a, 0] = Cat(lane[act_w:] for lane in band)
        for b, (c0, c1) in enumerate(col_spans):
            wgt[0, b] = Cat(self._skewed(m, f"skew_cols_{c0}", [weights[j] for j in range(c0, c1)],
                                         c0))
            drain[len(row_spans), b] = Const(0, (c1 - c0) * acc)
        for a, (r0, r1) in enumerate(row_spans):
            for b, (c0, c1) in enumerate(col_spans):
                act[a, b + 1] = Signal((r1 - r0) * act_w, name=f"act_{a}_{b + 1}")
                ctl_bus[a, b + 1] = Signal((r1 - r0) * ctl_w, name=f"ctl_{a}_{b + 1}")
                wgt[a + 1, b] = Signal((c1 - c0) * w_w, name=f"weight_{a + 1}_{b}")
                drain[a, b] = Signal((c1 - c0) * acc, name=f"drain_{a}_{b}")
        for a, (r0, r1) in enumerate(row_spans):
            for b, (c0, c1) in enumerate(col_spans):
                # place() calls make() at once, so the loop variables are current.
                place(m, f"tile_{a}_{b}", lambda: self._make_tile(r1 - r0, c1 - c0),  # noqa: B023
                      self._hierarchy, {
                          "in_act": act[a, b], "in_ctl": ctl_bus[a, b],
                          "out_act": act[a, b + 1], "out_ctl": ctl_bus[a, b + 1],
                          "in_weight": wgt[a, b], "out_weight": wgt[a + 1, b],
                          "drain_in": drain[a + 1, b], "drain_out": drain[a, b],
                          "drain_load": load[c0:c1],
                          **({"done": load[c0:c1]} if a == len(row_spans) - 1 else {}),
                      })
        for b, (c0, c1) in enumerate(col_spans):
            lanes = [drain[0, b][k * acc:(k + 1) * acc] for k in range(c1 - c0)]
            aligned = self._skewed(m, f"deskew_cols_{c0}", lanes, C - c1, reverse=True)
            m.d.comb += [self.out_row[j].eq(aligned[j - c0]) for j in range(c0, c1)]
        self._drain_counter(m, load[C - 1])
        return m

    def _drain_counter(self, m, load):
        """Which result row the (deskewed) drain shows: 0 after the last column loads."""
        last_index = self._rows - 1
        with m.If(load):
            m.d.sync += [self.out_valid.eq(1), self.out_index.eq(0)]
        with m.Elif(self.out_valid):
            m.d.sync += [self.out_valid.eq(self.out_index != last_index),
                         self.out_index.eq(self.out_index + 1)]
        m.d.comb += [self.out_first.eq(self.out_valid & (self.out_index == 0)),
                     self.out_last.eq(self.out_valid & (self.out_index == last_index))]
