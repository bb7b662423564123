"""The publishing rules (docs/submitting.md), determinism, and verification by a --retrain run.

Each rule returns a Violation naming itself and the fix, so a refused publish tells the author what to do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tircost_bench.evaluation.results import EvaluationResult

MIN_SEEDS = 5
# Metrics a --retrain run must reproduce (within the seed spread) to verify a checkpoint run.
VERIFY_METRICS = ("pairwise_accuracy", "peak_score@1", "top_k_recall@5")
SPREAD = 2.0  # "within the seed spread": |mean difference| <= SPREAD * the larger of the two seed stds
EPS = 1e-6  # float noise between bit-different but equal runs

VERIFIED = "verified"
SELF_REPORTED = "self-reported"
NO_CHECKPOINT = "no checkpoint"  # every seed was trained (or needs no training) inside the evaluation


@dataclass(frozen=True)
class Violation:
    rule: str
    detail: str
    fix: str

    def __str__(self) -> str:
        return f"rule '{self.rule}': {self.detail}; to comply: {self.fix}"


def scored_seeds(result: EvaluationResult) -> list[int]:
    return [s.seed for s in result.seeds if s.report is not None]


def scored_test_tasks(result: EvaluationResult) -> set[str]:
    """The suite's test task ids, as scored in the results (per-task metrics)."""
    return {t for s in result.seeds if s.report is not None for t in s.report.per_task}


def violations(result: EvaluationResult) -> list[Violation]:
    """Every rule the result breaks (empty: publishable)."""
    sub, suite = result.submission, result.suite
    again = f"tircost-bench evaluate {sub.folder or sub.name} --suite {suite.name} --seeds {MIN_SEEDS}" + (
        " --retrain" if result.retrain else "")
    out = []
    if not result.ok:
        out.append(Violation("successful evaluation", f"the evaluation failed ({result.error.splitlines()[0] if result.error else 'no error recorded'})",
                             f"fix the error, then `{again}`"))
    n = len(scored_seeds(result))
    if n < MIN_SEEDS:
        out.append(Violation(f">= {MIN_SEEDS} seeds", f"{n} seed{'s' * (n != 1)} scored", f"`{again}`"))
    commit = result.environment.git_commit
    if not commit or commit.endswith("+dirty"):
        out.append(Violation("clean git tree", f"the tircost-bench checkout was {'not a git repository' if not commit else 'dirty (' + commit + ')'} "
                             "when it evaluated", f"commit or stash your changes (`git status` clean), then `{again}`"))
    if sub.git_commit.endswith("+dirty"):
        out.append(Violation("clean git tree", f"the submission's own repository was dirty ({sub.git_commit})",
                             f"commit the submission's changes, then `{again}`"))
    out.extend(_checkpoint_violations(result))
    return out


def _checkpoint_violations(result: EvaluationResult) -> list[Violation]:
    """One violation per kind of checkpoint problem, naming every seed that has it."""
    sub, suite = result.submission, result.suite
    train = f"`tircost-bench train {sub.folder or sub.name} --suite {suite.name} --seeds {MIN_SEEDS}`"
    tests = scored_test_tasks(result)
    found: dict[str, list[int]] = {}
    leaked: set[str] = set()
    for s in result.seeds:
        if not s.checkpoint_used:
            continue
        ids = s.checkpoint.get("task_ids", {})
        ck_sha = s.checkpoint.get("suite", {}).get("sha256")
        seed_leaks = tests & {t for split in ("train", "val") for t in ids.get(split, [])}
        leaked |= seed_leaks
        kind = ("no provenance" if not s.checkpoint else "other suite" if ck_sha and ck_sha != suite.sha256
                else "no task ids" if not ids else "test tasks" if seed_leaks else "")
        if kind:
            found.setdefault(kind, []).append(s.seed)
    details = {
        "no provenance": ("loaded a checkpoint without provenance.json", (f"rebuild the checkpoints with {train} "
                          "(it writes provenance.json)")),
        "other suite": (f"loaded a checkpoint trained on other suite data than {suite.sha256[:12]}", train),
        "no task ids": ("loaded a checkpoint whose provenance names no training task ids", train),
        "test tasks": ((f"loaded a checkpoint trained on {len(leaked)} test task(s), e.g. "
                       f"{min(leaked) if leaked else ''}"), train),
    }
    out = []
    for kind, seeds in found.items():
        what, fix = details[kind]
        who = f"seed {seeds[0]}" if len(seeds) == 1 else "seeds " + ", ".join(map(str, seeds))
        out.append(Violation("checkpoints with provenance", f"{who} {what}", fix))
    return out


def deterministic(result: EvaluationResult) -> bool:
    """Every scored seed gave the same predictions: one checkpoint shared by all seeds, or a model that
    ignores the seed (bit-identical predictions digests)."""
    seeds = [s for s in result.seeds if s.report is not None]
    if len(seeds) < 2:
        return False
    ckpts = [s.checkpoint for s in seeds]
    if all(s.checkpoint_used for s in seeds) and ckpts[0] and all(c == ckpts[0] for c in ckpts):
        return True
    digests = {s.predictions_sha256 for s in seeds}
    return len(digests) == 1 and "" not in digests


def reproduces(main: EvaluationResult, retrain: EvaluationResult) -> bool:
    """A --retrain run matches the checkpoint run within the seed spread on every VERIFY_METRICS metric."""
    if not (retrain.ok and retrain.retrain and retrain.suite.sha256 == main.suite.sha256):
        return False
    for m in VERIFY_METRICS:
        a, b = main.stat(m), retrain.stat(m)
        if a is None or b is None or math.isnan(a.mean) or math.isnan(b.mean):
            return False
        spread = max(0.0 if math.isnan(a.std) else a.std, 0.0 if math.isnan(b.std) else b.std)
        if abs(a.mean - b.mean) > SPREAD * spread + EPS:
            return False
    return True


def verification(main: EvaluationResult, retrains: list[EvaluationResult]) -> str:
    if not any(s.checkpoint_used for s in main.seeds):
        return NO_CHECKPOINT
    return VERIFIED if any(reproduces(main, r) for r in retrains) else SELF_REPORTED
