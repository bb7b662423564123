"""User errors are one or two lines naming the problem and the fix (exit code 1); --verbose shows tracebacks.
The cases of issue #20, each as a user would type it."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import typer
from conftest import build_small_suite
from typer.testing import CliRunner

from tircost_bench.cli import app
from tircost_bench.cli.app import ErrorsAsMessages
from tircost_bench.paths import PROJECT_ROOT

SHIPPED = PROJECT_ROOT / "suites"
runner = CliRunner()


def run(*args: str, **env: str):
    return runner.invoke(app, [str(a) for a in args], env=env or None)


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def corrupt_suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = build_small_suite(SHIPPED / "cpu-epyc2", tmp_path_factory.mktemp("corrupt") / "tiny")
    with open(path / "tasks.json", "a") as f:
        f.write(" ")
    return path


@pytest.mark.parametrize("args", [("suite", "verify", "h10"), ("suite", "report", "h10"),
                                  ("leaderboard", "--suite", "h10")])
def test_unknown_suite_is_one_line_with_did_you_mean(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.exit_code == 1, result.output
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith("error: no suite named 'h10'"), lines
    assert "did you mean h100?" in lines[0]
    assert "Traceback" not in result.output and "┃" not in result.stdout  # no empty table either


def test_failed_verification_names_the_file(corrupt_suite: Path) -> None:
    result = run("suite", "verify", corrupt_suite)
    assert result.exit_code == 1
    lines = error_lines(result)
    assert len(lines) == 2, lines
    assert "failed verification" in lines[0] and "tasks.json: sha256 differs" in lines[0]
    assert "git checkout" in lines[1]


def test_validate_on_a_corrupt_suite_says_restore_and_keeps_suite(corrupt_suite: Path) -> None:
    result = run("validate", PROJECT_ROOT / "baselines" / "random", "--suite", corrupt_suite)
    assert result.exit_code == 1
    suite_line = next(line for line in result.output.splitlines() if "suite:" in line)
    assert "tasks.json" in suite_line and "git checkout" in suite_line and "--suite" in suite_line


def test_validate_passing_hint_keeps_the_suite(small_suite) -> None:
    result = run("validate", PROJECT_ROOT / "baselines" / "random", "--suite", small_suite.path)
    assert result.exit_code == 0, result.output
    assert f"tircost-bench evaluate {PROJECT_ROOT / 'baselines' / 'random'} --suite {small_suite.path}" in result.output


@pytest.mark.parametrize("uri, expected", [
    ("./mlruns-test", "is a file store"),
    ("http://127.0.0.1:9", "is unreachable"),
])
def test_unusable_mlflow_store_fails_in_seconds_and_suggests_no_track(uri: str, expected: str, tmp_path) -> None:
    start = time.perf_counter()
    result = run("evaluate", "random", "--suite", SHIPPED / "cpu-epyc2", MLFLOW_TRACKING_URI=uri)
    assert time.perf_counter() - start < 10
    assert result.exit_code == 1
    lines = error_lines(result)
    assert len(lines) == 1 and expected in lines[0] and "--no-track" in lines[0], lines
    assert not Path("mlruns-test").exists()


def test_unwritable_sqlite_store(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")  # (tests run as root here, so a chmod would not stop a write)
    result = run("evaluate", "random", "--suite", SHIPPED / "cpu-epyc2",
                 MLFLOW_TRACKING_URI=f"sqlite:///{blocker}/mlflow.db")
    assert result.exit_code == 1
    assert "cannot write to" in result.stderr and "--no-track" in result.stderr


def test_ambiguous_submission_name_names_both(tmp_path: Path) -> None:
    for root in ("submissions", "baselines"):
        shutil.copytree(PROJECT_ROOT / "baselines" / "random", tmp_path / root / "twin")
    result = run("--home", tmp_path, "evaluate", "twin", "--no-track", "--suite", SHIPPED / "cpu-epyc2")
    assert result.exit_code == 1
    line = error_lines(result)[0]
    assert "ambiguous" in line and str(tmp_path / "submissions" / "twin") in line
    assert str(tmp_path / "baselines" / "twin") in line


def test_internal_error_is_two_lines_and_verbose_shows_the_traceback() -> None:
    from tircost_bench.progress import set_verbosity

    demo = typer.Typer(cls=ErrorsAsMessages)

    @demo.command()
    def boom() -> None:
        raise ZeroDivisionError("division by zero")

    @demo.command()
    def other() -> None:
        pass

    result = runner.invoke(demo, ["boom"])
    assert result.exit_code == 1
    bug = "  this looks like a bug in tircost-bench: run again with --verbose for the traceback and report it"
    assert error_lines(result) == ["error: ZeroDivisionError: division by zero", bug]
    set_verbosity("verbose")
    try:
        result = runner.invoke(demo, ["boom"])
        assert isinstance(result.exception, ZeroDivisionError)  # raised, so the traceback is printed
    finally:
        set_verbosity("normal")


def test_conventions_version_short_help_default_seeds() -> None:
    from tircost_bench import __version__

    assert run("--version").stdout.strip() == f"tircost-bench {__version__}"
    assert "Usage" in run("-h").stdout and "Usage" in run("suite", "-h").stdout
    help_text = run("evaluate", "-h", COLUMNS="200").stdout
    assert "--json" in help_text and "[default: 5]" in help_text
    result = run("--quiet", "--verbose", "suites")
    assert result.exit_code == 2
