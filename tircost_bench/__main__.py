"""`python -m tircost_bench` = the `tircost-bench` command."""

from tircost_bench.cli import app

app(prog_name="tircost-bench")
