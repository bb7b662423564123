"""progress.stage: one line per stage when not a terminal, nothing when quiet, counts kept."""

from __future__ import annotations

import threading

import pytest

from tircost_bench import progress
from tircost_bench.progress import set_verbosity, stage, track


@pytest.fixture(autouse=True)
def normal_verbosity():
    set_verbosity("normal")
    yield
    set_verbosity("normal")


def test_not_a_terminal_prints_a_start_and_a_done_line(capsys: pytest.CaptureFixture) -> None:
    with stage("featurize", total=3) as bar:
        bar.advance(2)
        bar.advance()
    with stage("load suite"):
        pass
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "featurize: started (3)" and lines[1].startswith("featurize: done, 3/3 in ")
    assert lines[2] == "load suite: started" and lines[3].startswith("load suite: done in ")


def test_a_failed_stage_says_stopped(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(ValueError), stage("fit"):
        raise ValueError("boom")
    assert capsys.readouterr().err.splitlines()[-1].startswith("fit: stopped after ")


def test_quiet_prints_nothing_and_is_inherited(capsys: pytest.CaptureFixture, monkeypatch) -> None:
    set_verbosity("quiet")
    assert progress.os.environ[progress.ENV] == "quiet"  # worker processes start quiet too
    assert list(track(range(4), "epochs")) == [0, 1, 2, 3]
    assert capsys.readouterr().err == ""


def test_live_bars_from_threads_share_one_display(monkeypatch) -> None:
    monkeypatch.setattr(progress.sys.stderr, "isatty", lambda: True, raising=False)
    done = []

    def work(i: int) -> None:
        with stage(f"worker {i}", total=5) as bar:
            for _ in range(5):
                bar.advance()
        done.append(i)

    with stage("outer"):
        threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(done) == [0, 1, 2] and progress._live["progress"] is None and progress._live["depth"] == 0


def test_handoff_pauses_the_live_display_and_resumes_it(monkeypatch) -> None:
    monkeypatch.setattr(progress.sys.stderr, "isatty", lambda: True, raising=False)
    with stage("predict", total=2) as bar:
        live = progress._live["progress"]
        assert live.live.is_started
        with progress.handoff():  # a worker process draws its own bars meanwhile
            assert not live.live.is_started
        assert live.live.is_started and progress._live["progress"] is live
        bar.advance(2)
    assert progress._live["progress"] is None
