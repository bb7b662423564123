"""The suite report (`tircost-bench suite report`): every PNG is written, valid and referenced by index.html.

Renders the shipped cpu-epyc2 suite (in CI too: it is the one suite a checkout has).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tircost_bench.metrics.ranking import NOISE_BAND, pairwise_accuracy
from tircost_bench.paths import PROJECT_ROOT
from tircost_bench.report import build_report, expected_pngs
from tircost_bench.report.data import noise_band_share, summary_text, zscores

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REAL_SUITE = PROJECT_ROOT / "suites" / "cpu-epyc2"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("report")
    if not (REAL_SUITE / "manifest.json").exists():
        pytest.skip("no measured suite to render (suites/cpu-epyc2 is missing)")
    return build_report(str(REAL_SUITE), root / "out", log_mlflow=False)


def test_every_png_is_written_and_valid(report) -> None:
    from matplotlib.image import imread

    assert sorted(f.file for f in report.figures) == sorted(expected_pngs())
    for name in expected_pngs():
        path = report.out_dir / name
        assert path.is_file(), name
        raw = path.read_bytes()
        assert len(raw) > 1000 and raw[:8] == PNG_SIGNATURE, name
        img = imread(path)
        assert img.ndim == 3 and img.shape[0] >= 200 and img.shape[1] >= 300, (name, img.shape)
        assert float(np.ptp(img[..., :3])) > 0.1, f"{name} is blank"


def test_index_html_references_every_png(report) -> None:
    html = report.index.read_text(encoding="utf-8")
    assert report.index == report.out_dir / "index.html"
    for name in expected_pngs():
        assert f"href='{name}'" in html, name
    assert html.count("data:image/png;base64,") == len(expected_pngs())  # self-contained
    s = report.summary
    for cell in ("tasks", "records (measured, valid)", "failed", "splits", "noise (repeat CV) median"):
        assert f"<th>{cell}</th>" in html
    assert f"<td>{s['tasks']}</td>" in html


def test_summary_numbers_are_consistent(report) -> None:
    s = report.summary
    assert s["tasks"] > 0 and s["records_ok"] > 0
    assert s["records_measured"] == s["records_ok"] + s["failed"]
    assert s["failed"] == s["failed_build_error"] + s["failed_runtime_error"] + s["failed_timeout"]
    assert sum(s[f"split_{x}_tasks"] for x in ("train", "val", "test")) == s["tasks"]
    assert sum(s[f"split_{x}_records"] for x in ("train", "val", "test")) == s["records_ok"]
    assert s["latency_orders"] >= 0 and 0 <= s["noise_band_pair_share"] <= 1
    assert (report.out_dir / "summary.json").is_file() and (report.out_dir / "findings.txt").is_file()
    assert "orders of magnitude" in report.findings and "noise" in report.findings
    assert summary_text(s) in report.findings


def test_noise_band_share_matches_the_pairwise_metric() -> None:
    rng = np.random.default_rng(0)
    lat = np.concatenate([rng.uniform(1e-3, 1.2e-3, 40), [2e-3, 2.015e-3, 2.03e-3]])
    share = noise_band_share(lat)
    # Pairwise accuracy of a perfect predictor counts exactly the eligible (non-noise) pairs; rebuild that count.
    n = lat.size
    eligible = sum(abs(lat[i] - lat[j]) > NOISE_BAND * min(lat[i], lat[j]) for i in range(n) for j in range(i + 1, n))
    assert share == pytest.approx(1 - eligible / (n * (n - 1) / 2))
    assert pairwise_accuracy(lat, lat) == 1.0
    assert noise_band_share(np.array([1.0, 1.0])) == 1.0
    assert noise_band_share(np.array([1.0, 1.02])) == 0.0
    assert math.isnan(noise_band_share(np.array([1.0])))


def test_global_zscore_squeezes_tasks_of_different_scale() -> None:
    # Three tasks whose latencies differ by orders of magnitude: within one task the programs are spread out,
    # but one z-score over all of them puts the small tasks' programs on top of each other.
    rng = np.random.default_rng(1)
    tasks = [s * rng.lognormal(0, 0.3, 100) for s in (1e-6, 1e-4, 1e-1)]
    g = zscores(np.concatenate(tasks))
    small = g[:200]
    assert np.ptp(small) < 0.01 and np.mean(np.abs(zscores(tasks[0])) < 0.2) < 0.3


@pytest.mark.slow  # the session's MLflow template store costs ~10 s the first time (shared with other tests)
def test_report_is_logged_to_mlflow(report, mlflow_store: str, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow

    monkeypatch.chdir(tmp_path)  # a sqlite store puts artifacts under ./mlruns

    from tircost_bench.report.build import log_to_mlflow

    run_id = log_to_mlflow(report)
    client = mlflow.MlflowClient(tracking_uri=mlflow_store)
    run = client.get_run(run_id)
    exp = client.get_experiment(run.info.experiment_id)
    assert exp.name == f"tircost-bench/{report.summary['suite']}/report"
    assert run.data.tags["suite_sha256"] == report.summary["sha256"]
    assert run.data.metrics["tasks"] == report.summary["tasks"]
    logged = {a.path for a in client.list_artifacts(run_id)}
    assert {"index.html", *expected_pngs()} <= logged
