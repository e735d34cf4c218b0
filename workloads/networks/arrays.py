"""The arrays a network runs on, how each layer maps onto one, and where the cycles go.

A layer maps onto an array through :func:`verif.runner.plan_gemm`, the formula the RTL runs
are checked against.  Its cycles split exactly into

* ``ideal``: ``macs / peak_macs_per_cycle``, the compute bound;
* ``tile_fill``: PEs without work because M or N (per group) is not a multiple of the
  array's rows or columns (the edge tiles' padding);
* ``k_pad``: the last beat or step of a tile that K does not fill;
* ``zero_partners``: a non-SPARQ 8-bit layer (A8W8 signed) on a pair design runs one
  activation a beat, each paired with a zero: the partners' half of the slots;
* ``drain``: SA only, the idle cycles before a tile whose beats are fewer than the drain
  needs (``gap = max(0, drain_rows - beats)``: a drain-bound tile);
* ``fill``: the stream's own fill, exposed once per layer (SA ``latency + rows - 1``, the
  tensor cores ``latency - 1``);

so ``cycles = ideal + tile_fill + k_pad + zero_partners + drain + fill``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from golden.sparq import Config
from verif.runner import GemmPlan, plan_gemm

from ..quant.shapes import GemmShape

__all__ = ["ArrayDesign", "default_designs", "LayerCycles", "map_layer", "PARTS", "SPARQ",
           "TIMES_TWO", "BASELINES"]

SPARQ = Config.preset(5)
#: The parts of a layer's cycles (module docstring).
PARTS = ("ideal", "tile_fill", "k_pad", "zero_partners", "drain", "fill")
#: Baselines that take two activations a beat and run a non-SPARQ 8-bit layer (A8W8 signed)
#: at one activation a beat, each paired with a zero (their exact lone-value path), as the
#: SPARQ designs do; 2x4b-8b runs every layer at its own 4-bit rate, 8b-8b at one a beat.
TIMES_TWO = ("sysmt",)
BASELINES = ("8b8b", "2x4b8b", "sysmt")


@dataclass(frozen=True)
class ArrayDesign:
    """One array: architecture, design, size, array options.

    ``design`` is a baseline (``"8b8b"``, ``"2x4b8b"``, ``"sysmt"``) or the name of the
    SPARQ configuration ``cfg`` (``"5opt"``, ``"3opt-trim"``; ``cfg`` defaults to 5opt).
    """

    arch: str                   # "sa", "tc", "stc"
    design: str
    rows: int
    cols: int
    options: tuple = field(default=())      # ((name, value), ...) non-default array options
    cfg: Config | None = None

    def __post_init__(self):
        if self.design not in BASELINES:
            cfg = self.cfg if self.cfg is not None else SPARQ
            if cfg.name != self.design:
                raise ValueError(f"design {self.design!r} is neither a baseline "
                                 f"({', '.join(BASELINES)}) nor the configuration's name "
                                 f"{cfg.name!r}")
            object.__setattr__(self, "cfg", cfg)

    @property
    def config(self) -> Config | None:
        return self.cfg

    @property
    def baseline(self) -> str | None:
        return self.design if self.design in BASELINES else None

    @property
    def pairs_lone_values(self) -> bool:
        """Runs a non-SPARQ 8-bit layer at one activation a beat, paired with zeros."""
        return self.config is not None or self.design in TIMES_TWO

    @property
    def label(self) -> str:
        opts = "".join(f" {k}={v}" for k, v in self.options)
        return f"{self.arch.upper()} {self.rows}x{self.cols} {self.design}{opts}"

    def reference(self) -> ArrayDesign:
        """The 8b-8b array of the same architecture, size and options."""
        return ArrayDesign(self.arch, "8b8b", self.rows, self.cols, self.options)

    def plan(self, m: int, k: int, n: int, groups: int = 1) -> GemmPlan:
        return plan_gemm(m, k, n, arch=self.arch, config=self.config, baseline=self.baseline,
                         rows=self.rows, cols=self.cols, groups=groups, **dict(self.options))


def default_designs(sa=(32, 64, 128), tc=(8, 16), sa_options=((),)) -> list[ArrayDesign]:
    """SA sizes x (8b-8b, 5opt, 2x4b-8b, SySMT) x options, TC and STC sizes x (8b-8b, 5opt)."""
    out = [ArrayDesign("sa", d, r, r, opts) for opts in sa_options for r in sa
           for d in ("8b8b", "5opt", "2x4b8b", "sysmt")]
    out += [ArrayDesign(arch, d, r, r) for arch in ("tc", "stc") for r in tc
            for d in ("8b8b", "5opt")]
    return out


@dataclass(frozen=True)
class LayerCycles:
    """One layer on one array: its plan's figures and the split of its cycles."""

    name: str
    m: int
    k: int
    n: int
    groups: int
    policy: str
    mapped: bool                # False: the layer stays on the host (FP32)
    macs: int
    cycles: int
    tiles: int
    drain_bound_tiles: int
    parts: dict                 # PARTS -> cycles (floats; they sum to ``cycles``)
    beats_per_tile: int = 0

    def record(self) -> dict:
        return {"name": self.name, "M": self.m, "K": self.k, "N": self.n,
                "groups": self.groups, "policy": self.policy, "mapped": self.mapped,
                "macs": self.macs, "cycles": self.cycles, "tiles": self.tiles,
                "drain_bound_tiles": self.drain_bound_tiles, "beats_per_tile":
                self.beats_per_tile, "parts": {p: round(v, 3) for p, v in self.parts.items()}}


def _split(plan: GemmPlan, k_real: int) -> dict:
    """The parts of ``plan.formula_cycles``; ``k_real`` is the layer's own K (per group),
    ``plan.k`` twice that when each activation has a zero partner."""
    peak, pes = plan.peak_macs_per_cycle, plan.pes
    mn = plan.m * plan.n                      # outputs (all groups)
    slots_k = plan.beats_per_tile * plan.k_step          # K positions a tile streams
    return {"ideal": mn * k_real / peak,
            "tile_fill": (plan.tiles * pes - mn) * slots_k / peak,
            "k_pad": mn * (slots_k - plan.k) / peak,
            "zero_partners": mn * (plan.k - k_real) / peak,
            "drain": float(plan.idle_cycles),
            "fill": float(plan.formula_cycles - plan.beats - plan.idle_cycles)}


def map_layer(shape: GemmShape, design: ArrayDesign) -> LayerCycles:
    """``shape`` on ``design``: a SPARQ layer at the design's rate; an 8-bit non-SPARQ
    layer (A8W8 signed) at one activation a beat on SPARQ and SySMT designs (its K doubled
    by zero partners), at the design's rate on the others; FP32 not mapped."""
    base = {"name": shape.name, "m": shape.m, "k": shape.k, "n": shape.n,
            "groups": shape.groups, "policy": shape.policy, "macs": shape.macs}
    if shape.policy == "FP32":
        return LayerCycles(**base, mapped=False, cycles=0, tiles=0, drain_bound_tiles=0,
                           parts=dict.fromkeys(PARTS, 0.0))
    k = shape.k
    if shape.policy != "SPARQ" and design.pairs_lone_values:
        k = 2 * shape.k
    plan = design.plan(shape.m, k, shape.n, shape.groups)
    parts = _split(plan, shape.k)
    bound = plan.tiles - 1 if plan.gap > 0 else 0
    return LayerCycles(**base, mapped=True, cycles=plan.formula_cycles, tiles=plan.tiles,
                       drain_bound_tiles=bound, parts=parts,
                       beats_per_tile=plan.beats_per_tile)
