"""The accuracy report's statistics and its reading of reports/area.json."""

import json
from pathlib import Path

import numpy as np

import workloads
from workloads.accuracy import stats as analysis
from workloads.accuracy.evaluate import ROWS, holm
from workloads.accuracy.evaluate import paper as _paper
from workloads.accuracy.report import _area_points

ROOT = Path(workloads.__file__).resolve().parent.parent


def test_rows_cover_the_brief():
    names = [r[0] for r in ROWS]
    for want in ("A8W8", "5opt round", "5opt trim", "4opt trim", "3opt round", "2opt trim",
                 "6opt round", "7opt trim", "uniform A4", "uniform A3", "uniform A2"):
        assert want in names


def test_paper_figures():
    assert _paper("5opt round", False) == {"paper_resnet18": -0.07, "paper_resnet50": -0.05,
                                           "paper_table": "Table 1"}
    assert _paper("7opt round", False)["paper_table"] == "Table 4"
    assert _paper("A8W8", True)["paper_resnet18"] == -0.08
    assert _paper("2opt round", True)["paper_resnet50"] == -2.59
    assert _paper("uniform A4", False)["paper_table"] is None


def test_bootstrap_mcnemar_holm_pareto():
    rng = np.random.default_rng(0)
    ref = rng.random(2000) < 0.9
    worse = ref & (rng.random(2000) < 0.95)               # loses ~4.5 pp
    boot = analysis.bootstrap(np.stack([ref, worse, ref]), resamples=300, seed=1)
    assert boot.shape == (300, 3)
    np.testing.assert_array_equal(boot[:, 0], boot[:, 2])     # paired: same resamples
    lo, hi = analysis.interval(boot[:, 1] - boot[:, 0])
    assert hi < 0
    assert analysis.mcnemar_p(ref, worse) < 1e-6 and analysis.mcnemar_p(ref, ref) == 1.0
    assert analysis.mcnemar_p(np.array([1, 0], bool), np.array([0, 1], bool)) == 1.0
    assert holm([0.001, 0.04, 0.03, 0.5]) == [True, False, False, False]
    pts = [(1.0, 0.0), (0.6, -0.1), (0.7, -0.3), (0.5, -1.0), (0.6, -0.05)]
    assert analysis.pareto_front(pts) == [3, 4, 0]


def test_area_points_from_the_area_report():
    area = json.loads((ROOT / "reports" / "area.json").read_text())
    pts = _area_points(area)
    for hw in ("SA", "TC", "STC"):
        assert pts[hw]["8b8b"] == 1.0
        assert 0.3 < pts[hw]["5opt"] < 1.0          # two MACs a cycle: below 1 per MAC
    tc = {d["variant"]: d for d in area["designs"] if d["kind"] == "tc_dp"}
    assert pts["TC"]["3opt"] == (tc["3opt"]["area"] / 8) / (tc["8b8b"]["area"] / 4)
