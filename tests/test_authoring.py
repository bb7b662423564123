"""Authoring: `tircost-bench new` scaffolds a submission that validates, evaluates and reaches the leaderboard;
`tircost-bench validate` flags broken ones line by line. Real commands on the small suite, no mocks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tircost_bench.authoring import new_submission, validate_submission
from tircost_bench.cli import app
from tircost_bench.paths import PROJECT_ROOT

runner = CliRunner()


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def fill_in(folder: Path, **changes: object) -> None:
    """Edit submission.json as an author would: replace the placeholders (and apply `changes`)."""
    path = folder / "submission.json"
    data = json.loads(path.read_text())
    data.update(authors=["Ada Lovelace <ada@example.org>"], description="Ridge regression on trace features.")
    data.update(changes)
    for key, value in changes.items():
        if value is None:
            del data[key]
    path.write_text(json.dumps(data, indent=2))


def lines(output: str, mark: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(mark)]


def test_new_validate_evaluate_publish(small_suite, mlflow_store, tmp_path):
    suite = str(small_suite.path)
    code, out = cli("new", "ridge_demo", "--dir", tmp_path / "subs")
    folder = tmp_path / "subs" / "ridge_demo"
    assert code == 0, out
    for rel in ("submission.json", "model.py", "README.md", "tests/test_regression.py"):
        assert (folder / rel).is_file(), rel

    # A fresh scaffold works but its placeholders are flagged: exactly the two metadata lines fail.
    code, out = cli("validate", folder, "--suite", suite)
    assert code == 1
    failed = lines(out, "✗")
    assert len(failed) == 2 and all(line.startswith("✗ metadata:") for line in failed), out
    assert any("authors still holds the placeholder" in line for line in failed)
    assert any("description still holds the placeholder" in line for line in failed)
    assert len(lines(out, "✓")) == 7  # import, interface, suite, fit, predict, save/load, checkpoints

    fill_in(folder)
    code, out = cli("validate", folder, "--suite", suite)
    assert code == 0, out
    assert len(lines(out, "✓")) == 8 and not lines(out, "✗") and not lines(out, "–"), out

    code, out = cli("evaluate", folder, "--suite", suite, "--seeds", "5", "--json-out", tmp_path / "r.json")
    assert code == 0, out
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["submission"]["name"] == "ridge_demo" and len(result["seeds"]) == 5
    assert all(s["trained"] for s in result["seeds"])

    board = tmp_path / "leaderboard"  # TIRCOST_LEADERBOARD_DIR of the mlflow_store fixture
    (run,) = (board / "runs").rglob("results.json")  # what evaluate wrote into the runs folder
    data = json.loads(run.read_text())  # tests run in a working tree under development: mark it clean
    data["environment"]["git_commit"] = data["environment"]["git_commit"].removesuffix("+dirty")
    run.write_text(json.dumps(data))
    code, out = cli("leaderboard", "--publish", "--suite", suite)
    assert code == 0, out
    rows = json.loads((board / f"{small_suite.name}.json").read_text())["rows"]
    row = next(r for r in rows if r["submission"] == "ridge_demo")
    assert (row["version"], row["seeds"], row["suite_sha256"]) == ("0.1.0", 5, small_suite.sha256)
    assert "| ridge_demo | 0.1.0 |" in (board / f"{small_suite.name}.md").read_text()

    # The scaffold's own regression test, through the installed pytest plugin, against that row.
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder / "tests"),
         "--tircost-suite", suite, "--tircost-leaderboard", str(board)],
        check=False, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert proc.returncode == 0 and "1 passed" in proc.stdout, proc.stdout + proc.stderr


def test_validate_flags_missing_metadata_and_wrong_length(small_suite, tmp_path):
    folder = new_submission("broken", tmp_path)
    fill_in(folder, description=None)  # the field is gone
    model = folder / "model.py"
    text = model.read_text()
    good = "return np.exp(np.clip(log_latency, -40.0, 10.0)).astype(np.float64)"
    assert good in text
    model.write_text(text.replace(good, "return np.ones(len(programs) + 1)"))

    code, out = cli("validate", folder, "--suite", str(small_suite.path))
    assert code == 1
    failed = lines(out, "✗")
    assert len(failed) == 2, out
    assert failed[0].startswith("✗ metadata: description is missing or empty — fix: add 'description'")
    assert failed[1].startswith("✗ predict: predict returned ") and " values for " in failed[1]
    assert "fix: return a 1-D float64 numpy array" in failed[1]
    assert [line.split(":")[0] for line in lines(out, "–")] == ["– save/load", "– checkpoints"]
    assert "2 checks failed" in out


def test_validate_reports_import_errors_and_unfinished_classes(tmp_path):
    folder = new_submission("half_done", tmp_path)
    fill_in(folder)
    model = folder / "model.py"
    model.write_text(model.read_text().replace("    def load(self, directory: Path) -> None:",
                                               "    def _unused(self, directory: Path) -> None:"))
    checks = {c.name: c for c in validate_submission(folder, suite="no-such-suite")}
    assert checks["interface"].status == "fail" and "does not implement load" in checks["interface"].message
    assert checks["fit"].status == "skip"

    model.write_text("import numpy as np\ndef broken(:\n")
    checks = {c.name: c for c in validate_submission(folder, suite="no-such-suite")}
    assert checks["import"].status == "fail" and "SyntaxError" in checks["import"].message
    assert checks["metadata"].status == "ok"


def test_new_refuses_existing_folders_and_bad_names(tmp_path):
    folder = new_submission("mine", tmp_path)
    (folder / "model.py").write_text("# my work\n")
    code, out = cli("new", "mine", "--dir", tmp_path)
    assert code == 1 and "already exists" in out
    assert (folder / "model.py").read_text() == "# my work\n"  # untouched
    for bad in ("9lives", "my-model", "class", "a b"):
        code, out = cli("new", bad, "--dir", tmp_path)
        assert code == 1 and "error:" in out and not (tmp_path / bad).exists(), bad
    code, out = cli("new", "roofline", "--dir", tmp_path)  # a shipped baseline's name
    assert code == 1 and "taken" in out


@pytest.mark.parametrize("name", ["ok_name", "Model2"])
def test_scaffold_compiles_and_passes_lint(tmp_path, name):
    """The generated Python compiles, and passes the project's ruff settings (CI lints submissions/)."""
    folder = new_submission(name, tmp_path)
    for path in [*folder.glob("*.py"), *folder.glob("tests/*.py")]:
        compile(path.read_text(), str(path), "exec")
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[dev]')")
    proc = subprocess.run([ruff, "check", "--no-cache", "--config", str(PROJECT_ROOT / "pyproject.toml"), str(folder)],
                          check=False, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
