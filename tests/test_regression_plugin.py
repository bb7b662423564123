"""The pytest plugin: the README snippet, unchanged, from a project outside this repository (subprocess),
against published rows made from real evaluations; like-with-like comparisons and messages that say what
they compared."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import BASELINES, make_submission
from published_rows import local_run, published_row

from tircost_bench.pytest_plugin import RegressionError, assert_no_regression, compare, published_result

README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_snippet() -> str:
    text = README.read_text()
    block = re.search(r"```python\n((?:(?!```).)*?tircost_evaluate\(.*?)```", text, re.DOTALL)
    assert block, "README.md lost its pytest snippet"
    return block.group(1)


def _pytest_outside(project: Path, suite, leaderboard: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tircost-suite",
                           str(suite.path), "--tircost-leaderboard", str(leaderboard)],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False)


def _trainable(folder: Path, name: str) -> Path:
    """A trainable submission without checkpoints whose training is not reproducible (unseeded): each seed
    trains inside the evaluation and gives other predictions each time."""
    make_submission(folder, name, "return 1.0 - self.rng.random(len(programs))")
    code = (folder / "model.py").read_text().replace("trainable = property(lambda self: False)",
                                                     "trainable = property(lambda self: True)")
    (folder / "model.py").write_text(code.replace("def fit(self, train, valid): pass",
                                                  "def fit(self, train, valid): self.rng = np.random.default_rng()"))
    return folder


def test_readme_snippet_from_outside_the_repository(small_suite, tmp_path):
    lb, runs = tmp_path / "lb", tmp_path / "runs"
    published_row(BASELINES / "random", small_suite, lb, runs)
    project = tmp_path / "elsewhere"
    shutil.copytree(BASELINES / "random", project / "submissions" / "my_model")
    (project / "test_my_model.py").write_text(_readme_snippet())
    proc = _pytest_outside(project, small_suite, lb)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "1 passed" in proc.stdout

    # The same snippet against a regressed model (constant predictions) fails and says what it compared.
    shutil.rmtree(project / "submissions" / "my_model")
    make_submission(project / "submissions" / "my_model", "random", "return np.ones(len(programs))")
    proc = _pytest_outside(project, small_suite, lb)
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "random regressed" in proc.stdout and "per-seed check" in proc.stdout
    assert "published for seed 0 (untrained, same version" in proc.stdout


def test_per_seed_against_the_same_seed(small_suite, tmp_path, submission_factory):
    lb, runs = tmp_path / "lb", tmp_path / "runs"
    published_row(BASELINES / "roofline", small_suite, lb, runs)
    published, _ = published_result(lb, small_suite.name, small_suite.sha256, "roofline")
    again, _ = local_run(BASELINES / "roofline", small_suite, 2, runs)
    cmp = assert_no_regression(again, lb, tolerance=0.0)  # deterministic: passes with no tolerance at all
    assert len(cmp.lines) == 3 * 2 and all("identical predictions; per-seed check" in x for x in cmp.lines)

    worse, _ = local_run(submission_factory("roofline", "return np.ones(len(programs))"), small_suite, 1, runs)
    with pytest.raises(RegressionError) as info:
        assert_no_regression(worse, lb, tolerance=0.01)
    message = str(info.value)
    seed0 = published.seeds[0].report.overall["pairwise_accuracy"]
    assert f"pairwise_accuracy seed 0: 0.5000 now vs {seed0:.4f} published for seed 0" in message
    assert "FAIL" in message and "allowed 0.01" in message


def test_band_from_the_published_std_when_seeds_train_here(small_suite, tmp_path):
    lb, runs = tmp_path / "lb", tmp_path / "runs"
    folder = _trainable(tmp_path / "subs" / "trains", "trains")
    published_row(folder, small_suite, lb, runs)
    published, _ = published_result(lb, small_suite.name, small_suite.sha256, "trains")
    assert all(s.trained for s in published.seeds)
    now, _ = local_run(folder, small_suite, 1, runs)
    cmp = compare(now, published, tolerance=0.01)
    std = published.stat("pairwise_accuracy").std
    line = next(x for x in cmp.lines if x.split()[1] == "pairwise_accuracy:")
    assert "band check: seeds trained here" in line and f"± {std:.4f} over 5 seeds" in line
    assert f"allowed 2×{std:.4f}/√1 + 0.01 = {2 * std + 0.01:.4f}" in line
    mean_now, mean_pub = now.stat("pairwise_accuracy").mean, published.stat("pairwise_accuracy").mean
    assert line.startswith("FAIL") == (mean_pub - mean_now > 2 * std + 0.01)


def test_missing_row_says_how_to_publish(small_suite, tmp_path):
    result, _ = local_run(BASELINES / "random", small_suite, 1, tmp_path / "runs")
    with pytest.raises(LookupError, match="tircost-bench leaderboard --publish"):
        assert_no_regression(result, tmp_path / "empty", tolerance=0.01)
    assert json.loads(json.dumps(textwrap.dedent(_readme_snippet()))).count("tircost_assert_no_regression") == 2
