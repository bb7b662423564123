"""`tircost-bench new NAME`: a complete, working submission folder to start from."""

from __future__ import annotations

import json
import keyword
import re
from pathlib import Path
from string import Template

from tircost_bench.authoring import templates
from tircost_bench.predictors.submission import METADATA, known_submissions

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


class ScaffoldError(ValueError):
    """The name is unusable or the folder exists; the message says what to do instead."""


def check_name(name: str) -> str | None:
    """None when `name` is a usable submission name, else why not (shared with the validator)."""
    if not NAME_RE.match(name):
        return (f"{name!r} is not a valid submission name: use a letter, then letters, digits or '_' "
                f"(at most 64 characters), e.g. {_suggest(name)!r}")
    if keyword.iskeyword(name):
        return f"{name!r} is a Python keyword; pick another name, e.g. {name + '_model'!r}"
    return None


def _suggest(name: str) -> str:
    s = re.sub(r"[^0-9A-Za-z_]+", "_", name).strip("_") or "my_model"
    return s if s[0].isalpha() else f"m_{s}"


def class_name(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part) + "Predictor"


def metadata(name: str) -> dict[str, object]:
    ph = templates.PLACEHOLDER
    return {
        "name": name,
        "version": "0.1.0",
        "authors": [f"{ph}: Your Name <you@example.org>"],
        "description": f"{ph}: one sentence on the representation, the model and its training objective.",
        "entry_point": f"model:{class_name(name)}",
        "parameters": {"representation": "trace", "alphas": [0.1, 1.0, 10.0]},
        "checkpoints": {},
        "training_command": f"tircost-bench train submissions/{name} --suite SUITE --seeds 0 1 2 3 4",
        "url": "",
    }


def new_submission(name: str, root: Path | str = "submissions") -> Path:
    """Write root/name/{submission.json, model.py, README.md, tests/test_regression.py}; checkpoints come
    from `tircost-bench train`."""
    problem = check_name(name)
    if problem:
        raise ScaffoldError(problem)
    folder = Path(root) / name
    if folder.exists():
        raise ScaffoldError(f"{folder} already exists; pick another name or remove the folder first "
                            "(tircost-bench new never overwrites)")
    taken = known_submissions().get(name)
    if taken is not None:
        raise ScaffoldError(f"the name {name!r} is taken by {taken} (leaderboard rows are keyed by name); "
                            "pick another")
    values = {"name": name, "class_name": class_name(name), "placeholder": templates.PLACEHOLDER}
    files = {
        METADATA: json.dumps(metadata(name), indent=2) + "\n",
        "model.py": Template(templates.MODEL_PY).substitute(values),
        "README.md": Template(templates.README_MD).substitute(values),
        "tests/test_regression.py": Template(templates.TEST_REGRESSION_PY).substitute(values),
    }
    folder.mkdir(parents=True)  # fails if it appeared meanwhile: still never overwrites
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    return folder
