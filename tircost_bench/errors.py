"""User errors: what went wrong and the fix, in one or two lines (the CLI prints them; --verbose adds the
traceback)."""

from __future__ import annotations

# Errors whose message already names the problem and the fix (raised on bad input, not on a bug).
USER_ERROR_TYPES = {"SubmissionError", "EvaluationError", "InvalidPredictionsError", "SuiteIntegrityError",
                    "SearchError", "ScaffoldError", "UserError", "StoreError", "LabelAccessError"}


class UserError(RuntimeError):
    """Bad input or a bad environment; the message says what and how to fix it."""


class StoreError(UserError):
    """The MLflow tracking store cannot be used (unreachable, unwritable, a file store)."""


def is_user_error(err: BaseException) -> bool:
    return any(t.__name__ in USER_ERROR_TYPES for t in type(err).__mro__) or isinstance(
        err, (FileNotFoundError, NotADirectoryError, PermissionError, IsADirectoryError))


def describe_error(err: BaseException) -> list[str]:
    """At most two lines: the problem (with the first detail), then the fix (a message's last line)."""
    lines = [line.strip() for line in str(err).strip().splitlines() if line.strip()] or [type(err).__name__]
    if not is_user_error(err):
        return [f"{type(err).__name__}: {lines[0]}",
                "this looks like a bug in tircost-bench: run again with --verbose for the traceback and report it"]
    head = lines[0] if len(lines) == 1 or lines[0].endswith((".", "?")) else f"{lines[0]} {lines[1]}"
    rest = lines[2:] if head != lines[0] else lines[1:]
    if not rest:
        return [head]
    more = len(rest) - 1
    return [head + (f" (and {more} more)" if more else ""), rest[-1]]
