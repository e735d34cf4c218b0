"""The progress helper: plain lines off a terminal, a tqdm bar on one."""

import io

from workloads.progress import Progress, format_seconds, progress


def test_plain_lines_when_not_a_terminal():
    out = io.StringIO()
    with Progress(3, "accuracy", file=out, interval=0) as bar:
        bar.update(1, note="cnn A8W8")
        bar.write("a message")
        bar.update(2)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("accuracy: 1/3 (33%), 0:00 elapsed, ~") and \
        lines[0].endswith("left: cnn A8W8")
    assert lines[1] == "a message"
    assert lines[2].startswith("accuracy: 3/3 (100%)") and "left" not in lines[2]


def test_plain_lines_are_throttled_but_the_last_is_kept():
    out = io.StringIO()
    assert list(progress(range(50), desc="x", file=out, interval=3600)) == list(range(50))
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and lines[-1].startswith("x: 50/50 (100%)")


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_bar_on_a_terminal():
    out = _Tty()
    with Progress(4, "layers", file=out) as bar:
        for _ in range(4):
            bar.update(1, note="sa-5opt")
    text = out.getvalue()
    assert "layers" in text and "4/4" in text and "\r" in text     # tqdm redraws in place


def test_format_seconds():
    assert format_seconds(59.6) == "1:00" and format_seconds(3725) == "1:02:05"
