"""The location order of paths.py (option > environment > project of the cwd > package checkout), the
submission registry without silent shadowing, `info`, and a non-editable install used outside the repo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tircost_bench import paths
from tircost_bench.cli import app
from tircost_bench.paths import PROJECT_ROOT
from tircost_bench.predictors.submission import SubmissionError, load_submission

LOCATION_ENV = ("TIRCOST_HOME", "TIRCOST_SUITES_DIR", "TIRCOST_LEADERBOARD_DIR", "TIRCOST_RUNS_DIR",
                "MLFLOW_TRACKING_URI")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in LOCATION_ENV:
        monkeypatch.delenv(name, raising=False)
    paths.set_home(None)
    yield monkeypatch
    paths.set_home(None)


def make_project(folder: Path, marker: bool = True) -> Path:
    (folder / "suites").mkdir(parents=True)
    if marker:
        (folder / paths.PROJECT_MARKER).write_text("")
    else:
        (folder / "pyproject.toml").write_text('[project]\nname = "tircost-bench"\nversion = "9"\n')
    return folder


def test_project_is_found_from_a_subfolder_of_the_cwd(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    project = make_project(tmp_path / "proj")
    (project / "deep" / "er").mkdir(parents=True)
    clean_env.chdir(project / "deep" / "er")
    assert paths.suites_location().path == str(project / "suites")
    assert "project found from the working directory" in paths.suites_location().source
    assert paths.leaderboard_dir() == project / "leaderboard"
    assert paths.mlflow_location().path == f"sqlite:///{project / 'leaderboard' / 'mlflow.db'}"


def test_a_pyproject_naming_tircost_bench_is_a_project(tmp_path: Path) -> None:
    assert paths.is_project(make_project(tmp_path / "a", marker=False))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "pyproject.toml").write_text('[project]\nname = "other"\n')
    assert not paths.is_project(tmp_path / "b")


def test_order_option_over_env_over_project(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    cwd_project, env_home, option_home = (make_project(tmp_path / n) for n in ("cwd", "env", "opt"))
    clean_env.chdir(cwd_project)
    clean_env.setenv("TIRCOST_HOME", str(env_home))
    assert paths.suites_dir() == env_home / "suites"
    paths.set_home(option_home)
    assert paths.suites_dir() == option_home / "suites" and paths.home_location().source == "option --home"
    clean_env.setenv("TIRCOST_SUITES_DIR", str(tmp_path / "elsewhere"))  # one location's variable: above homes
    assert paths.suites_dir() == tmp_path / "elsewhere"
    assert paths.leaderboard_dir() == option_home / "leaderboard"


def test_outside_any_project_falls_back_to_the_package_checkout(tmp_path: Path, clean_env) -> None:
    clean_env.chdir(tmp_path)
    assert paths.home() == PROJECT_ROOT  # this test imports tircost_bench from a checkout
    assert "imported from" in paths.home_location().source


def test_same_name_in_two_folders_is_an_error_naming_both(tmp_path: Path, clean_env) -> None:
    for root in ("submissions", "baselines"):
        shutil.copytree(PROJECT_ROOT / "baselines" / "random", tmp_path / root / "twin")
    paths.set_home(tmp_path)
    with pytest.raises(SubmissionError, match="ambiguous") as err:
        load_submission("twin")
    assert str(tmp_path / "submissions" / "twin") in str(err.value)
    assert str(tmp_path / "baselines" / "twin") in str(err.value)
    assert load_submission("baselines/twin").folder == (tmp_path / "baselines" / "twin").resolve()
    assert load_submission("random").folder == (PROJECT_ROOT / "baselines" / "random").resolve()  # built in


def test_a_relative_path_never_resolves_in_another_checkout(tmp_path: Path, clean_env) -> None:
    """From a folder that is no project, `submissions/xgboost` is not the package checkout's (the README
    snippet run from a temporary folder used to evaluate another checkout's submission)."""
    clean_env.chdir(tmp_path)
    with pytest.raises(SubmissionError, match="no submission at 'submissions/xgboost'"):
        load_submission("submissions/xgboost")
    project = make_project(tmp_path / "proj")
    shutil.copytree(PROJECT_ROOT / "baselines" / "random", project / "submissions" / "mine")
    (project / "sub").mkdir()
    clean_env.chdir(project / "sub")  # inside a project: relative to its root
    assert load_submission("submissions/mine").folder == (project / "submissions" / "mine").resolve()


def test_a_copied_suite_is_listed_under_its_folder_name(tmp_path: Path, clean_env) -> None:
    from tircost_bench.suite.catalog import list_suites

    for name in ("cpu-epyc2", "my-copy"):
        shutil.copytree(PROJECT_ROOT / "suites" / "cpu-epyc2", tmp_path / "suites" / name)
    clean_env.setenv("TIRCOST_SUITES_DIR", str(tmp_path / "suites"))
    rows = list_suites()
    assert [(r["name"], r["manifest_name"]) for r in rows] == [("cpu-epyc2", "cpu-epyc2"), ("my-copy", "cpu-epyc2")]
    result = CliRunner().invoke(app, ["suites"], env={"COLUMNS": "80"})
    assert "my-copy" in result.stdout and "(copy of" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_info_prints_every_location_and_its_source(tmp_path: Path, clean_env) -> None:
    project = make_project(tmp_path / "proj")
    result = CliRunner().invoke(app, ["--home", str(project), "info", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    by_name = {loc["name"]: loc for loc in info["locations"]}
    assert set(by_name) == {"home", "suites", "submissions", "leaderboard", "runs", "mlflow", "cache"}
    assert by_name["suites"]["path"] == str(project / "suites") and "--home" in by_name["suites"]["source"]
    assert info["mlflow_store"] == "writable" and info["versions"]["mlflow"] != "not installed"


def test_non_editable_install_used_outside_the_repo(tmp_path: Path) -> None:
    """`pip install .` (no editable link) into a fresh target, run from a folder that is no project, with
    the current venv's dependencies: `info` finds no project, `evaluate --suite PATH` of a copied submission
    works and prints its JSON."""
    src, site, work = tmp_path / "src", tmp_path / "site", tmp_path / "work"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT_ROOT / name, src / name)
    shutil.copytree(PROJECT_ROOT / "tircost_bench", src / "tircost_bench",
                    ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(src)], check=True, timeout=120)
    shutil.copytree(PROJECT_ROOT / "baselines" / "random", work / "my_model")
    env = {k: v for k, v in os.environ.items() if k not in (*LOCATION_ENV, "PYTHONPATH")}
    env.update(PYTHONPATH=str(site), XDG_DATA_HOME=str(tmp_path / "data"))

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tircost_bench", *args], check=False, cwd=work, env=env,
                              capture_output=True, text=True, timeout=120)

    info = cli("info", "--json")
    assert info.returncode == 0, info.stderr
    by_name = {loc["name"]: loc for loc in json.loads(info.stdout)["locations"]}
    assert by_name["home"]["path"] == "" and by_name["suites"]["path"] == str(work / "suites")
    assert by_name["leaderboard"]["path"].startswith(str(tmp_path / "data"))
    unknown = cli("evaluate", "other_model", "--no-track")  # a bare name: no project, so no registry
    assert unknown.returncode == 1 and "no project found: pass the submission's folder" in unknown.stderr
    no_suite = cli("evaluate", "./my_model", "--no-track")
    assert no_suite.returncode == 1 and "no suites found" in no_suite.stderr and "--suite PATH" in no_suite.stderr
    result = cli("evaluate", "my_model", "--suite", str(PROJECT_ROOT / "suites" / "cpu-epyc2"), "--seeds", "1",
                 "--no-track", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["submission"]["folder"] == "my_model"  # results carry no machine-local paths (schema 2)
    assert out["suite"]["name"] == "cpu-epyc2" and len(out["seeds"]) == 1
    imported = subprocess.run([sys.executable, "-c", "import tircost_bench; print(tircost_bench.__file__)"],
                              cwd=work, env=env, capture_output=True, text=True, check=True).stdout
    assert imported.startswith(str(site))
