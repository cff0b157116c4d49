"""benchmarks/compare: compares this run's ratios with the baseline and flags more than 10 % worse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPARE = ROOT / "benchmarks" / "compare"


def _baseline(tmp_path: Path) -> Path:
    path = tmp_path / "baseline.json"
    first = r"first:\s+([0-9.]+) s"
    calib = r"calib:\s+([0-9.]+)"
    fake = [
        {"name": "fake first/calib", "numerator": first, "denominator": calib, "baseline": 2.0},
        {"name": "fake second/first", "numerator": r"second:\s+([0-9.]+) s", "denominator": first, "baseline": 0.5},
        {
            "name": "fake rows/s",
            "numerator": r"rate:\s+([0-9,]+)",
            "denominator": calib,
            "baseline": 1000.0,
            "lower_is_better": False,
        },
    ]
    missing = [{"name": "missing metric", "numerator": "x", "baseline": 1.0}]
    config = {
        "threshold": 0.10,
        "benchmarks": [
            {"name": "fake", "script": "benchmarks/fake.py", "metrics": fake},
            {"name": "missing", "script": "benchmarks/not_there.py", "metrics": missing},
        ],
    }
    path.write_text(json.dumps(config))
    return path


def _compare(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(COMPARE), *args], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )


def _line(output: str, metric: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(metric))


def test_more_than_ten_percent_worse_is_flagged_and_within_is_ok(tmp_path):
    outputs = tmp_path / "outputs.json"
    # first/calib = 2.3 (15 % worse); second/first = 0.53 (6 % worse); rate/calib = 800 (20 % worse, higher is better)
    outputs.write_text(json.dumps({"fake": "calib: 1.0\nfirst: 2.3 s\nsecond: 1.219 s\nrate: 800", "calibration": 0.1}))
    result = _compare("--baseline", str(_baseline(tmp_path)), "--outputs", str(outputs))
    assert result.returncode == 0, result.stderr
    assert _line(result.stdout, "fake first/calib").split()[-2:] == ["+15.0%", "WORSE"]
    assert _line(result.stdout, "fake second/first").split()[-2:] == ["+6.0%", "ok"]
    assert _line(result.stdout, "fake rows/s").split()[-2:] == ["+20.0%", "WORSE"]
    assert "2 of 4 metrics more than 10% worse" in result.stdout


def test_strict_mode_exits_non_zero_when_something_got_worse(tmp_path):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"fake": "calib: 1.0\nfirst: 3.0 s\nsecond: 1.0 s\nrate: 1000"}))
    assert _compare("--baseline", str(_baseline(tmp_path)), "--outputs", str(outputs), "--strict").returncode == 1


def test_a_missing_benchmark_is_skipped_with_a_note(tmp_path):
    result = _compare("--baseline", str(_baseline(tmp_path)), "--only", "missing")
    assert result.returncode == 0
    assert "note: missing: skipped: benchmarks/not_there.py not present" in result.stdout
    assert _line(result.stdout, "missing metric").endswith("no figure")


def test_record_writes_this_runs_values_as_the_baseline(tmp_path):
    baseline = _baseline(tmp_path)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"fake": "calib: 2.0\nfirst: 5.0 s\nsecond: 1.0 s\nrate: 10"}))
    assert _compare("--baseline", str(baseline), "--outputs", str(outputs), "--record").returncode == 0
    metrics = json.loads(baseline.read_text())["benchmarks"][0]["metrics"]
    assert [m["baseline"] for m in metrics] == [2.5, 0.2, 5.0]


def test_the_recorded_baseline_lists_runnable_benchmarks():
    config = json.loads((ROOT / "benchmarks" / "baseline.json").read_text())
    assert config["threshold"] == 0.10
    for bench in config["benchmarks"]:
        assert bench["metrics"] and bench["script"].startswith("benchmarks/")
        assert all("{tmp}" in a for a in bench.get("args", []) if a.endswith((".md", ".csv")))


def test_steps_run_in_order_and_are_timed_without_a_database(tmp_path):
    config = {
        "threshold": 0.10,
        "benchmarks": [
            {
                "name": "steps",
                "needs_database": False,
                "steps": [
                    {"name": "first", "argv": ["{python}", "-c", "print('work: 4.0 s')"]},
                    {"name": "second", "argv": ["{python}", "-c", "print('other: 1.0 s')"]},
                ],
                "metrics": [
                    {"name": "work/other", "numerator": r"work: ([0-9.]+) s", "denominator": r"other: ([0-9.]+) s",
                     "baseline": 4.0},
                    {"name": "timed step", "numerator": r"compare: step second: ([0-9.]+) s", "baseline": None},
                ],
            }
        ],
    }  # fmt: skip
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(config))
    result = _compare("--baseline", str(baseline))
    assert result.returncode == 0, result.stderr
    assert _line(result.stdout, "work/other").split()[-2:] == ["+0.0%", "ok"]
    assert _line(result.stdout, "timed step").endswith("no baseline")
    assert "note: steps: ran in" in result.stdout
