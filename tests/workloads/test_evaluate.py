"""evaluate_config: one design point's accuracy record, as the report computes it."""

import numpy as np
import pytest

import workloads.accuracy.evaluate as E
from golden.sparq import Config
from workloads import evaluate_config

SMALL = {"test_images": 300, "calibration_images": 256, "bootstrap": 200}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setattr(E, "CACHE", tmp_path)
    return tmp_path


def test_record_is_the_reports_row(cache):
    rec = evaluate_config("cnn", Config.preset(3), **SMALL)
    setting = E.Setting(300, 256, 0, 200, 0)
    x, y = E.test_set(300)
    fp32 = E.correct(E.trained("cnn", False), x, y)
    a8 = E.correct(E.quantized("cnn", None, setting), x, y)
    mine = E.correct(E.quantized("cnn", Config.preset(3), setting), x, y)
    want = E.records("cnn", False, [("FP32", None, 32, fp32), ("A8W8", None, 8, a8),
                                    ("3opt round", Config.preset(3), 8, mine)], setting)[2]
    assert rec == want
    assert rec["model"] == "cnn" and rec["name"] == "3opt round" and rec["opts"] == 3
    assert rec["accuracy"] == pytest.approx(mine.mean())
    assert rec["delta"] == pytest.approx(mine.mean() - fp32.mean())
    assert rec["paper_table"] == "Table 1" and not rec["stc_pairing"]
    assert sorted(p.name.split("-")[0] for p in cache.iterdir()) == ["calib", "reference"]


def test_cache_is_reused(cache, monkeypatch):
    first = evaluate_config("resnet", None, act_bits=4, **SMALL)
    assert first["name"] == "uniform A4" and first["kind"] == "uniform"

    def no_calibration(*args, **kw):
        raise AssertionError("the cached calibration statistics were not used")
    monkeypatch.setattr(E, "calibrate", no_calibration)
    again = evaluate_config("resnet", None, act_bits=4, **SMALL)
    assert again == first


def test_stc_trim_and_a8w8(cache):
    trim = evaluate_config("cnn", Config.preset(5), rounding=False, stc=True, **SMALL)
    assert trim["name"] == "5opt trim" and trim["pruned"] and trim["stc_pairing"]
    a8 = evaluate_config("cnn", None, stc=True, **SMALL)
    assert a8["name"] == "A8W8" and a8["delta_a8w8"] == 0 and a8["mcnemar_p_vs_a8w8"] is None
    custom = evaluate_config("cnn", Config(4, (0, 1, 4)), **SMALL)
    assert custom["name"] == "n4-s0.1.4 round" and custom["opts"] is None


@pytest.mark.parametrize("kw, match", [
    ({"model": "vgg"}, "model must be one of cnn, resnet, mobilenet"),
    ({"cfg": None, "rounding": False}, "rounding applies to a SPARQ configuration"),
    ({"act_bits": 4}, "act_bits=4 with a SPARQ configuration"),
    ({"cfg": None, "act_bits": 9}, "act_bits must be an integer 2..8"),
    ({"test_images": 0}, "test_images must be an integer >= 1"),
])
def test_bad_arguments(kw, match):
    args = {"model": "cnn", "cfg": Config.preset(5), **kw}
    with pytest.raises(ValueError, match=match):
        evaluate_config(args.pop("model"), args.pop("cfg"), **args)


def test_records_paired_intervals():
    rng = np.random.default_rng(0)
    a = rng.random(500) < 0.9
    rows = [("FP32", None, 32, a), ("A8W8", None, 8, a), ("5opt round", Config.preset(5), 8, a)]
    recs = E.records("cnn", False, rows, E.Setting(500, 16, 0, 100, 0))
    assert recs[2]["delta"] == 0 and recs[2]["delta_ci_low"] == recs[2]["delta_ci_high"] == 0
    assert [r["kind"] for r in recs] == ["fp32", "a8w8", "sparq"]
