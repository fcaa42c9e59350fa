"""The benchmarks still run: each script at a tiny size, in a subprocess, started as a developer starts it.
Their figures are not checked here (performance is measured in bench/, not in tests); that they run to
the end, that the work-order floors show the very rows of the pages and that the evaluation's floor
gives the same figures, is. A schema change the generators do not follow fails here, not at the next
million-case run."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(script: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, f"bench/{script}", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_the_work_order_benchmark_runs_and_its_floors_show_the_pages_rows_and_a_page_breaks_down(tmp_path):
    out = run(
        "workorders.py",
        *("--orders", "400", "--requests", "3", "--warmup", "1", "--sample", "5", "--no-diagnose"),
        *("--out", str(tmp_path)),
    )
    assert out.count("same as the floor's") == 4
    for page in ("dispatcher inbox", "department inbox", "filtered list", "case page"):
        assert page in out.split("p95 ratio")[-1]
    assert "peak RSS of the web process" in out
    assert (tmp_path / "results-400-sqlite.json").exists()
    breakdown = run("breakdown.py", "case page", "--orders", "400", "--out", str(tmp_path), "--requests", "3")
    assert "case page: the case" in breakdown and "Jinja rendering" in breakdown


def test_the_evaluation_benchmark_runs_with_its_floor_agreeing(tmp_path):
    out = run("evaluation.py", "--orders", "400", "--repeat", "1", "--out", str(tmp_path))
    assert "figures checked equal" in out


def test_the_grid_lookup_benchmark_runs(tmp_path):
    out = run("grids.py", "--grids", "60", "--points", "200")
    assert "lookups/s" in out and "locate()" in out


def test_the_export_benchmark_runs_every_kind():
    out = run("exports.py", "--rows", "60", "--repeat", "1")
    for kind in ("orders", "components", "zombie_cars", "evaluation"):
        assert f"\n{kind} " in out
    assert "rows/s" in out and "ratio" in out


def test_the_photo_memory_benchmark_runs_and_prints_the_peak():
    out = run("photo_memory.py", "--side", "300", "--parallel", "3", "--no-unbounded")
    assert "peak RSS of the web process with 3 parallel uploads" in out and "one upload (floor)" in out


def test_the_pages_benchmark_runs_every_page_of_a_few_users_and_the_hot_path(tmp_path):
    out = run(
        "pages.py",
        *("--days", "1", "--requests", "1", "--warmup", "0", "--users", "collector,evaluator"),
        *("--notifications", "2000", "--ended-sessions", "200", "--hot-repeat", "3", "--out", str(tmp_path)),
    )
    for page in ("home (first visit)", "widget: rates", "map layer:", "the grid ranking", "evaluation: department"):
        assert page in out, page
    assert "answered" not in out  # every page answered 200
    assert "ended-session look-up" in out and "notification badge count" in out
    assert (tmp_path / "pages-results-1.json").exists()
