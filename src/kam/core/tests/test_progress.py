"""Progress outside a terminal is a line every 10 %, with the pace and the time left."""

from __future__ import annotations

from kam.core.progress import LineProgress, duration, rate_and_left


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_line_every_ten_percent_with_rate_and_time_left():
    lines: list[str] = []
    clock = Clock()
    progress = LineProgress(lines.append, "Import", clock=clock)
    for done in range(0, 1001, 7):
        clock.now = done / 100  # 100 rows per second
        progress(done, 1000)
    progress(1000, 1000)
    assert len(lines) == 11  # 0 %, 10 %, …, 100 %
    assert lines[5].startswith("Import: 50 % (")
    assert "100/s" in lines[5] and "about 5 s left" in lines[5]
    assert lines[-1].startswith("Import: 100 %") and "left" not in lines[-1]


def test_without_a_total_a_line_per_interval():
    lines: list[str] = []
    clock = Clock()
    progress = LineProgress(lines.append, "Reading", interval=10, clock=clock)
    for second in range(35):
        clock.now = second
        progress(second * 1000, None)
    assert len(lines) == 3


def test_helpers():
    assert rate_and_left(0, 10, 1) == (None, None)
    assert rate_and_left(50, 100, 5) == (10, 5)
    assert duration(45) == "45 s"
    assert duration(200) == "3 min 20 s"
    assert duration(7500) == "2 h 5 min"
