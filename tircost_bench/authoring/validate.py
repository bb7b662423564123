"""`tircost-bench validate PATH`: the checks a submission must pass, in seconds, without a full evaluation.

Each check yields one line: ✓ what was confirmed, ✗ the problem and its fix, or – skipped because an
earlier check failed. The fit runs on a small slice of the train/val splits (a few tasks), predictions on a
few validation programs go through the evaluator's own `validate_predictions`, and save/load must
reproduce the predictions from a temporary folder. Test labels are never read.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
import tempfile
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tircost_bench.authoring.scaffold import check_name
from tircost_bench.authoring.templates import PLACEHOLDER
from tircost_bench.predictors.submission import METADATA, REQUIRED, Submission, SubmissionMeta

OK, FAIL, SKIP = "ok", "fail", "skip"
MARKS = {OK: "✓", FAIL: "✗", SKIP: "–"}
VERSION_RE = re.compile(r"^\d+(\.\d+){0,3}([-+.]?[0-9A-Za-z.]+)?$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class Check:
    name: str
    status: str
    message: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.status != FAIL

    def line(self) -> str:
        text = f"{MARKS[self.status]} {self.name}: {self.message}"
        return text + (f" — fix: {self.fix}" if self.fix else "")


class _Stop(Exception):
    """Ends the run of checks: the later ones cannot run."""


def _where(err: BaseException, folder: Path) -> str:
    """' (model.py:42)': the innermost frame of the traceback inside the submission folder, if any."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if Path(f.filename).resolve().is_relative_to(folder)]
    if not frames:
        return ""
    f = frames[-1]
    return f" ({Path(f.filename).resolve().relative_to(folder)}:{f.lineno})"


def _raised(err: BaseException, folder: Path) -> str:
    return f"raised {type(err).__name__}: {err}{_where(err, folder)}"


# ------------------------------------------------------------------------------------------ metadata


def metadata_checks(folder: Path) -> tuple[list[Check], dict[str, Any] | None]:
    """Lines for submission.json, and its data (None when unreadable)."""
    path = folder / METADATA
    if not path.exists():
        return [Check("metadata", FAIL, f"no {METADATA} in {folder}",
                      "run `tircost-bench new NAME` for a complete folder, or see docs/submitting.md")], None
    try:
        data = json.loads(path.read_text())
    except ValueError as err:
        return [Check("metadata", FAIL, f"{METADATA} is not valid JSON ({err})", "correct the JSON syntax")], None
    if not isinstance(data, dict):
        return [Check("metadata", FAIL, f"{METADATA} holds a {type(data).__name__}, not an object",
                      'write {"name": ..., "version": ..., ...}')], None
    problems: list[tuple[str, str]] = []
    fields = {f.name for f in dataclasses.fields(SubmissionMeta)}
    for key in sorted(set(data) - fields):
        problems.append((f"unknown key {key!r}", f"remove it; known keys: {', '.join(sorted(fields))}"))
    for key in REQUIRED:
        if not data.get(key):
            problems.append((f"{key} is missing or empty", f"add {key!r} ({_HINTS[key]})"))
    name, version = data.get("name"), data.get("version")
    if name and (not isinstance(name, str) or check_name(name)):
        problems.append((f"name {name!r} is not identifier-like", str(check_name(str(name)))))
    elif name and name != folder.name:
        problems.append((f"name {name!r} differs from the folder name {folder.name!r}",
                         "rename one so that they match (the leaderboard lists the name)"))
    if version and not (isinstance(version, str) and VERSION_RE.match(version)):
        problems.append((f"version {version!r} is not a version string", 'use e.g. "0.1.0"; bump it on every change'))
    authors = data.get("authors")
    if authors and not (isinstance(authors, list) and all(isinstance(a, str) and a.strip() for a in authors)):
        problems.append(("authors must be a list of non-empty strings", '["Ada Lovelace <ada@example.org>"]'))
    ep = data.get("entry_point")
    if ep and not (isinstance(ep, str) and re.match(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$", ep)):
        problems.append((f"entry_point {ep!r} must look like 'module:ClassName'",
                         "name the .py file (without .py) and the Predictor subclass, e.g. 'model:MyPredictor'"))
    if not isinstance(data.get("parameters", {}), dict):
        problems.append(("parameters must be an object", "keyword arguments of your class's __init__, e.g. {}"))
    problems += _checkpoint_problems(folder, data.get("checkpoints", {}))
    for key in ("name", "version", "description", "entry_point", "training_command", "url"):
        if isinstance(data.get(key), str) and PLACEHOLDER in data[key]:
            problems.append((f"{key} still holds the placeholder {data[key]!r}", f"replace it: {_HINTS[key]}"))
    if isinstance(authors, list) and any(isinstance(a, str) and PLACEHOLDER in a for a in authors):
        problems.append((f"authors still holds the placeholder {authors!r}",
                         'list who wrote it, e.g. ["Ada Lovelace <ada@example.org>"]'))
    url = data.get("url")
    if url and not (isinstance(url, str) and re.match(r"^https?://", url)):
        problems.append((f"url {url!r} is not an http(s) address", "link the code or paper, or leave it empty"))
    if not problems:
        n = len(data["authors"])
        return [Check("metadata", OK, f"{METADATA} complete ({data['name']} {data['version']}, "
                                      f"{n} author{'s' * (n != 1)}, entry point {data['entry_point']})")], data
    return [Check("metadata", FAIL, p, fix) for p, fix in problems], data


_HINTS = {
    "name": "the leaderboard name, identifier-like, same as the folder",
    "version": 'a version string such as "0.1.0"; bump it whenever the model or its training changes',
    "authors": 'a list such as ["Ada Lovelace <ada@example.org>"]',
    "description": "one sentence: representation, model, training objective",
    "entry_point": "'module:ClassName' of your Predictor subclass, e.g. 'model:MyPredictor'",
    "training_command": "the command that produced the shipped checkpoints, or empty",
    "url": "a link to the code or paper, or empty",
}


def _checkpoint_problems(folder: Path, checkpoints: Any) -> list[tuple[str, str]]:
    fix = 'map suite sha256 -> {"seed": "relative/folder"}, e.g. {"<64 hex>": {"0": "checkpoints/SUITE/seed0"}}'
    if not isinstance(checkpoints, dict):
        return [("checkpoints must be an object", fix)]
    out = []
    for sha, seeds in checkpoints.items():
        if not SHA256_RE.match(str(sha)):
            out.append((f"checkpoints key {str(sha)[:20]!r} is not a suite sha256 (64 lowercase hex digits)",
                        "use the sha256 that `tircost-bench suites --json` lists for the suite"))
        if not isinstance(seeds, dict):
            out.append((f"checkpoints[{str(sha)[:12]}…] must map seeds to folders", fix))
            continue
        for seed, rel in seeds.items():
            if not str(seed).isdigit():
                out.append((f"checkpoint seed {seed!r} is not a non-negative integer string", fix))
            elif not isinstance(rel, str) or not (folder / rel).is_dir():
                out.append((f"checkpoint folder {rel!r} (seed {seed}) does not exist in {folder}",
                            "commit the folder, or remove the entry and let evaluate train"))
    return out


# ---------------------------------------------------------------------------------------------- runs


def _slice(labeled: Any, n_tasks: int, per_task: int) -> Any:
    """The first n_tasks tasks (sorted by id) of a labeled split, at most per_task programs each."""
    from tircost_bench.suite.loader import LabeledPrograms

    chosen = sorted({p.task_id for p in labeled.programs})[:n_tasks]
    taken: dict[str, int] = {}
    idx = []
    for i, p in enumerate(labeled.programs):
        if p.task_id in chosen and taken.get(p.task_id, 0) < per_task:
            taken[p.task_id] = taken.get(p.task_id, 0) + 1
            idx.append(i)
    return LabeledPrograms([labeled.programs[i] for i in idx], labeled.latencies[idx])


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _n_tasks(labeled: Any) -> int:
    return len({p.task_id for p in labeled.programs})


def _suite_problem(err: BaseException, suite_arg: Any) -> tuple[str, str]:
    """(problem, fix) for a suite that would not load: a corrupt one needs restoring, not another name."""
    from tircost_bench.suite.manifest import SuiteIntegrityError

    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    if isinstance(err, SuiteIntegrityError):
        problem = " ".join(lines[:-1]) if len(lines) > 1 else lines[0]
        fix = lines[-1] if len(lines) > 1 else "restore the suite's files (git checkout -- <suite folder>)"
        return problem, f"{fix} Or validate against another suite: --suite NAME"
    where = f" --suite {suite_arg}" if isinstance(suite_arg, (str, Path)) else ""
    return (" ".join(lines) or type(err).__name__,
            f"pass --suite NAME or a suite folder (`tircost-bench suites` lists them; got{where or ' the default'})")


def _checks(path: Path | str, suite_arg: Any, tasks: int, per_task: int, n_predict: int) -> Iterator[Check]:
    from tircost_bench.evaluation.evaluate import InvalidPredictionsError, validate_predictions
    from tircost_bench.predictors.submission import SubmissionError

    folder = Path(path).resolve()
    if not folder.is_dir():
        yield Check("folder", FAIL, f"{path} is not a folder", "pass the submission folder, e.g. submissions/NAME")
        raise _Stop
    lines, data = metadata_checks(folder)
    yield from lines
    if data is None or not isinstance(data.get("entry_point"), str) or ":" not in data["entry_point"]:
        raise _Stop
    fields = {f.name for f in dataclasses.fields(SubmissionMeta)}
    meta_kwargs: dict[str, Any] = {"name": folder.name, "version": "0", "authors": [], "description": ""}
    meta_kwargs.update({k: v for k, v in data.items() if k in fields})
    if not isinstance(meta_kwargs.get("parameters"), dict):
        meta_kwargs["parameters"] = {}
    if not isinstance(meta_kwargs.get("checkpoints"), dict):
        meta_kwargs["checkpoints"] = {}
    sub = Submission(folder, SubmissionMeta(**meta_kwargs))  # lenient: later checks run despite metadata lines

    # import
    try:
        cls = sub.predictor_class()
    except SubmissionError as err:
        msg = str(err).removeprefix(f"{folder}: ")
        fix = ("fix the error in your module (run `python -c 'import model'` inside the folder to see the "
               "traceback)" if "importing" in msg else
               "subclass tircost_bench.predictors.interface.Predictor and name it in entry_point")
        yield Check("import", FAIL, msg, fix)
        raise _Stop from None
    yield Check("import", OK, f"{sub.meta.entry_point} imports")

    # interface
    abstract = sorted(getattr(cls, "__abstractmethods__", ()))
    if abstract:
        yield Check("interface", FAIL, f"{cls.__name__} does not implement {', '.join(abstract)}",
                    "implement every abstract method of Predictor (fit, predict, save, load)")
        raise _Stop
    try:
        predictor = sub.create(0)
    except Exception as err:  # noqa: BLE001 - any constructor error is the author's to see
        yield Check("interface", FAIL, f"{cls.__name__}(seed=0, **parameters) {_raised(err, folder)}",
                    "make __init__ accept seed plus every key of submission.json's parameters")
        raise _Stop from None
    trainable = predictor.trainable
    if not isinstance(trainable, bool):
        yield Check("interface", FAIL, f"trainable is {trainable!r}, not a bool", "return True or False")
        raise _Stop
    signature = inspect.signature(cls.predict)
    if len(signature.parameters) < 2:
        yield Check("interface", FAIL, f"predict{signature} takes no programs", "define predict(self, programs)")
        raise _Stop
    yield Check("interface", OK, f"{cls.__name__} implements Predictor, constructs with parameters "
                                 f"{json.dumps(sub.meta.parameters)}" + ("" if trainable else " (untrained)"))

    # suite slice
    from tircost_bench.suite.loader import Suite, load_suite

    try:
        suite = suite_arg if isinstance(suite_arg, Suite) else load_suite(suite_arg)
    except Exception as err:  # noqa: BLE001 - a missing or corrupt suite is reported, not raised
        yield Check("suite", FAIL, *_suite_problem(err, suite_arg))
        raise _Stop from None
    yield Check("suite", OK, f"{suite.name} v{suite.manifest.version} (sha256 {suite.sha256[:12]}…)")
    train = suite.labeled("train")
    valid = suite.labeled("val")
    train_s, valid_s = _slice(train, tasks, per_task), _slice(valid, max(1, tasks - 1), per_task)
    if len(train_s) == 0:
        yield Check("fit", FAIL, f"suite {suite.name} has no train programs", "validate against another --suite")
        raise _Stop
    if trainable:
        try:
            predictor.fit(train_s, valid_s)
        except Exception as err:  # noqa: BLE001
            yield Check("fit", FAIL, f"fit on {len(train_s)} train / {len(valid_s)} val programs {_raised(err, folder)}",
                        "fit(train, valid) must work on any LabeledPrograms, even a small or empty valid")
            raise _Stop from None
        yield Check("fit", OK, f"fit on {_count(len(train_s), 'train program')} ({_count(_n_tasks(train_s), 'task')}) "
                               f"and {_count(len(valid_s), 'val program')} ({_count(_n_tasks(valid_s), 'task')}) "
                               f"of {suite.name}")
    else:
        yield Check("fit", OK, "skipped: trainable is False (untrained reference)")

    # predict
    pool, source = (valid_s, "val") if len(valid_s) else (train_s, "train (the val split is empty)")
    programs = pool.programs[:n_predict]
    who = f"{sub.meta.name}"
    try:
        raw = predictor.predict(programs)
    except Exception as err:  # noqa: BLE001
        yield Check("predict", FAIL, f"predict on {len(programs)} programs {_raised(err, folder)}",
                    "predict(programs) must return one latency per program")
        raise _Stop from None
    try:
        first = validate_predictions(raw, len(programs), who)
        if np.asarray(raw).dtype != np.float64:
            raise InvalidPredictionsError(f"{who}: predict returned dtype {np.asarray(raw).dtype}, not float64")
    except InvalidPredictionsError as err:
        yield Check("predict", FAIL, str(err).removeprefix(f"{who}: "),
                    "return a 1-D float64 numpy array of positive, finite latencies in seconds, one per program, "
                    "in the order given")
        raise _Stop from None
    yield Check("predict", OK, f"{len(programs)} {source} programs -> finite positive float64 latencies "
                               f"({first.min():.3g} to {first.max():.3g} s)")

    # save / load
    with tempfile.TemporaryDirectory(prefix="tircost-validate-") as tmp:
        step = "save"
        try:
            predictor.save(Path(tmp))
            step = "construct"
            fresh = sub.create(0)
            step = "load"
            fresh.load(Path(tmp))
            step = "predict after load"
            again = validate_predictions(fresh.predict(programs), len(programs), who)
        except Exception as err:  # noqa: BLE001
            yield Check("save/load", FAIL, f"{step} {_raised(err, folder)}",
                        "save(directory) must write everything load(directory) needs into the given folder")
            raise _Stop from None
        written = sum(1 for p in Path(tmp).rglob("*") if p.is_file())
    if not np.allclose(first, again, rtol=1e-6, atol=0.0):
        worst = float(np.max(np.abs(again - first) / first))
        yield Check("save/load", FAIL, f"a loaded copy predicts differently (max relative difference {worst:.3g})",
                    "save every fitted quantity; load must not refit or re-randomize")
        raise _Stop
    yield Check("save/load", OK, f"round trip through a temporary folder ({written} file{'s' * (written != 1)}) "
                                 "reproduces the predictions")

    # shipped checkpoints for this suite
    shipped = sub.meta.checkpoints.get(suite.sha256, {})
    if not trainable or not shipped:
        yield Check("checkpoints", OK, f"none for {suite.name} (sha256 {suite.sha256[:12]}…): evaluate will train"
                    if trainable else "not needed (untrained)")
        return
    bad = []
    for seed, rel in sorted(shipped.items()):
        try:
            p = sub.create(int(seed))
            p.load(folder / rel)
            validate_predictions(p.predict(programs), len(programs), who)
        except Exception as err:  # noqa: BLE001
            bad.append(f"seed {seed} ({rel}) {_raised(err, folder)}")
    if bad:
        yield Check("checkpoints", FAIL, "; ".join(bad),
                    "re-run your training command, or remove the entries and let evaluate train")
    else:
        yield Check("checkpoints", OK, f"seeds {', '.join(sorted(shipped, key=int))} for {suite.name} load and predict")


ORDER = ("metadata", "import", "interface", "suite", "fit", "predict", "save/load", "checkpoints")


def validate_submission(path: Path | str, suite: Any = None, tasks: int = 3, per_task: int = 16,
                        n_predict: int = 16, echo: Callable[[Check], None] | None = None) -> list[Check]:
    """Run every check on the submission at `path` against `suite` (a Suite, a name or folder, or None for the
    default suite); `echo` sees each check as soon as it is done. Checks after a failed one are reported
    as skipped (except metadata problems, which do not stop the others)."""
    done: list[Check] = []
    try:
        for check in _checks(path, suite, tasks, per_task, n_predict):
            done.append(check)
            if echo:
                echo(check)
    except _Stop:
        pass
    names = {c.name for c in done}
    for name in ORDER:
        if name not in names:
            done.append(Check(name, SKIP, "skipped (an earlier check failed)"))
            if echo:
                echo(done[-1])
    return done
