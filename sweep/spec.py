"""What a sweep is: design points from a TOML file and/or the command line.

A sweep file (docs/sweep.md)::

    flows = ["area", "power"]          # for the whole sweep
    archs = ["sa"]                     # the keys below are defaults of every group
    variants = ["8b8b", "5opt"]
    sizes = ["16x16", "128x128"]
    acc_widths = [32]
    liberties = ["default"]            # $SPARQ_LIBERTY or the OSU018 cells
    periods = [10.0]

    [power]
    cycles = 1000                      # per stream
    images = 16

    [[points]]                         # optional groups; each is a product of its lists
    archs = ["tc"]
    variants = ["8b8b", "5opt"]
    sizes = ["8x8"]

Each group is the product archs x variants x sizes x acc_widths x liberties x
periods; the sweep is the union of the groups (a point listed twice is one
point).  A command-line value replaces that key in every group.  Every value
is checked before anything runs; a bad one is one :class:`SpecError` line
naming it and what is allowed.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sweep import flows

__all__ = ["SpecError", "Point", "Sweep", "load", "GROUP_KEYS", "DEFAULT_FILE"]

DEFAULT_FILE = Path(__file__).with_name("default.toml")
#: Keys of a group (and their top-level defaults), in the order points are listed.
GROUP_KEYS = ("archs", "variants", "sizes", "acc_widths", "liberties", "periods")
SWEEP_KEYS = ("flows", "networks", "models")
#: Flow options of the whole sweep, with their defaults.
NETWORK_KEYS = {"batch": 1}
POWER_KEYS = {"cycles": 3000, "images": 16}
DEFAULTS = {"archs": ["sa"], "sizes": ["16x16"], "acc_widths": [32], "liberties": ["default"],
            "periods": [10.0], "flows": ["area"], "networks": [], "models": []}
ACC_WIDTHS = range(8, 65)


class SpecError(ValueError):
    """A sweep description that cannot run; the message is one line."""


@dataclass(frozen=True, order=True)
class Point:
    """One design point: an array of one arch, variant, size and accumulator, on one library."""

    arch: str
    variant: str
    rows: int
    cols: int
    acc_width: int
    liberty: str
    period: float

    @property
    def label(self) -> str:
        return f"{self.arch} {self.rows}x{self.cols} {self.variant} acc{self.acc_width}"

    @property
    def baseline(self) -> Point:
        """The 8b-8b array of the same arch, size, accumulator, library and clock."""
        return Point(self.arch, "8b8b", self.rows, self.cols, self.acc_width, self.liberty,
                     self.period)

    def as_dict(self) -> dict:
        return {"arch": self.arch, "variant": self.variant, "rows": self.rows,
                "cols": self.cols, "acc_width": self.acc_width, "liberty": self.liberty,
                "period": self.period}


@dataclass
class Sweep:
    points: list[Point]
    flows: list[str]
    cycles: int = POWER_KEYS["cycles"]
    images: int = POWER_KEYS["images"]
    networks: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    source: str = ""
    batch: int = NETWORK_KEYS["batch"]


def _as_list(where: str, key: str, value) -> list:
    if isinstance(value, list):
        if not value:
            raise SpecError(f"{where}: {key} is empty")
        return value
    return [value]


def _size(where: str, value, arch_limit: int) -> tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        rows = cols = value
    elif isinstance(value, str) and re.fullmatch(r"\s*\d+\s*(x\s*\d+\s*)?", value):
        nums = [int(v) for v in value.split("x")]
        rows, cols = nums[0], nums[-1]
    else:
        raise SpecError(f"{where}: size {value!r} is not ROWSxCOLS (e.g. 16x16) or one number")
    for name, v in (("rows", rows), ("cols", cols)):
        if not 1 <= v <= arch_limit:
            raise SpecError(f"{where}: size {value!r}: {name} must be in 1..{arch_limit}")
    return rows, cols


def _liberty(where: str, value, base: Path) -> str:
    if not isinstance(value, str) or not value:
        raise SpecError(f"{where}: liberty {value!r} is not a path (or \"default\")")
    if value == "default":
        return flows.default_liberty()
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())


def _number(where: str, key: str, value, kind=float, lo=None):
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int):
        what = "a number" if kind is float else "an int"
        raise SpecError(f"{where}: {key} {value!r} is not {what}")
    if lo is not None and value < lo:
        raise SpecError(f"{where}: {key} must be at least {lo}, got {value}")
    return kind(value)


def _group_points(where: str, group: dict, base: Path) -> list[Point]:
    points = []
    lists = {k: _as_list(where, k, group[k]) for k in GROUP_KEYS}
    for arch in lists["archs"]:
        if arch not in flows.ARCHS:
            raise SpecError(f"{where}: arch {arch!r} is not one of {', '.join(flows.ARCHS)}")
    for arch, variant, size, acc, lib, period in itertools.product(*lists.values()):
        if not isinstance(variant, str):
            raise SpecError(f"{where}: variant {variant!r} is not a name such as 5opt")
        try:
            flows.parse_variant(arch, variant)
        except ValueError as e:
            raise SpecError(f"{where}: {e}") from None
        rows, cols = _size(where, size, flows.max_side(arch))
        if isinstance(acc, bool) or not isinstance(acc, int) or acc not in ACC_WIDTHS:
            raise SpecError(f"{where}: acc width {acc!r} must be an int in "
                            f"{ACC_WIDTHS.start}..{ACC_WIDTHS.stop - 1}")
        period = _number(where, "period", period)
        if period <= 0:
            raise SpecError(f"{where}: period must be positive, got {period:g}")
        points.append(Point(arch, variant, rows, cols, acc, _liberty(where, lib, base), period))
    return points


def _check_flows(names: list, where: str) -> list[str]:
    out = []
    for f in names:
        if f in flows.UNAVAILABLE:
            raise SpecError(flows.UNAVAILABLE[f])
        if f not in flows.FLOWS:
            raise SpecError(f"{where}: flow {f!r} is not one of "
                            f"{', '.join(flows.FLOWS + tuple(flows.UNAVAILABLE))}")
        if f not in out:
            out.append(f)
    return out


def load(path: str | Path | None = None, overrides: dict | None = None) -> Sweep:
    """The sweep of a TOML file (None: none) with command-line ``overrides`` applied.

    ``overrides``: {key: list} for the keys of :data:`GROUP_KEYS` and
    :data:`SWEEP_KEYS`, and ``cycles`` / ``images`` (ints).  Raises :class:`SpecError`.
    """
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    data, where, base = {}, "command line", Path.cwd()
    if path is not None:
        path = Path(path)
        where = str(path)
        try:
            data = tomllib.loads(path.read_text())
        except OSError as e:
            raise SpecError(f"cannot read the sweep file {path}: {e.strerror or e}") from None
        except tomllib.TOMLDecodeError as e:
            raise SpecError(f"{path}: not valid TOML: {e}") from None
        base = path.resolve().parent
    allowed = set(GROUP_KEYS) | set(SWEEP_KEYS) | set(NETWORK_KEYS) | {"power", "points"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise SpecError(f"{where}: unknown key {unknown[0]!r}; allowed: "
                        f"{', '.join(sorted(allowed))}")
    power = data.get("power", {})
    if not isinstance(power, dict) or set(power) - set(POWER_KEYS):
        bad = sorted(set(power) - set(POWER_KEYS)) if isinstance(power, dict) else [power]
        raise SpecError(f"{where}: [power] takes {', '.join(POWER_KEYS)}, got {bad[0]!r}")
    groups = data.get("points", [{}])
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups) or not groups:
        raise SpecError(f"{where}: points must be [[points]] tables")
    top = {k: data.get(k, DEFAULTS.get(k)) for k in GROUP_KEYS}
    points: list[Point] = []
    for i, g in enumerate(groups, 1):
        gwhere = where if "points" not in data else f"{where}: [[points]] {i}"
        bad = sorted(set(g) - set(GROUP_KEYS))
        if bad:
            raise SpecError(f"{gwhere}: {bad[0]!r} is not a group key; a group takes "
                            f"{', '.join(GROUP_KEYS)} (flows, networks, models and [power] are "
                            "for the whole sweep)")
        group = {**top, **g, **{k: v for k, v in overrides.items() if k in GROUP_KEYS}}
        if group.get("variants") is None:
            raise SpecError(f"{gwhere}: no variants (give variants = [...] or --variants)")
        # A file's relative liberty paths are relative to the file, the command line's to cwd.
        lib_base = Path.cwd() if "liberties" in overrides else base
        for p in _group_points(gwhere, group, lib_base):
            if p not in points:
                points.append(p)
    sweep_vals = {}
    for k in SWEEP_KEYS:
        value = overrides.get(k, data.get(k, DEFAULTS[k]))
        sweep_vals[k] = value if value == [] else _as_list(where, k, value)
    chosen = _check_flows(sweep_vals["flows"], where)
    for key, flow, names in (("networks", "networks", flows.network_names),
                             ("models", "accuracy", flows.model_names)):
        if sweep_vals[key] and flow not in chosen:
            raise SpecError(f"{where}: {key} apply only to flow {flow!r}, which is not asked for")
        if flow in chosen and not sweep_vals[key]:
            raise SpecError(f"{where}: flow {flow!r} needs {key} (e.g. {key} = "
                            f"[\"{names()[2 if key == 'networks' else 0]}\"]); allowed: "
                            f"{', '.join(names())}")
        bad = [v for v in sweep_vals[key] if v not in names()]
        if bad:
            raise SpecError(f"{where}: {key}: {bad[0]!r} is not one of {', '.join(names())}")
    batch = _number(where, "batch", overrides.get("batch", data.get("batch",
                    NETWORK_KEYS["batch"])), int, 1)
    if "networks" not in chosen and ("batch" in overrides or "batch" in data):
        raise SpecError(f"{where}: batch applies only to flow 'networks', which is not asked for")
    cycles = _number(where, "cycles", overrides.get("cycles", power.get("cycles",
                     POWER_KEYS["cycles"])), int, 100)
    images = _number(where, "images", overrides.get("images", power.get("images",
                     POWER_KEYS["images"])), int, 1)
    if "power" not in chosen:
        given = [k for k in POWER_KEYS if k in overrides or k in power]
        if given:
            raise SpecError(f"{where}: {given[0]} applies only to flow 'power', which is not "
                            "asked for")
    else:
        for p in points:
            why = flows.power_supported(p.arch, p.variant)
            if why:
                raise SpecError(f"{where}: {p.label}: {why}")
    return Sweep(points, chosen, cycles, images, sweep_vals["networks"], sweep_vals["models"],
                 where, batch)

