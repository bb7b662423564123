"""Authoring tools for submission writers: `tircost-bench new` (scaffold) and `tircost-bench validate`."""

from tircost_bench.authoring.scaffold import ScaffoldError, check_name, new_submission
from tircost_bench.authoring.validate import Check, validate_submission

__all__ = ["Check", "ScaffoldError", "check_name", "new_submission", "validate_submission"]
