"""tables.fit_table: stacked '± std' cells, then the least important columns left out, to fit the width."""

from __future__ import annotations

import io

from rich.console import Console

from tircost_bench.tables import Column, print_table

COLUMNS = [Column("rank", 0), Column("submission"), Column("pairwise", 0, "right"), Column("peak@1", 0, "right"),
           Column("network score@1", 1, "right"), Column("rmse_logz", 2), Column("date", 3), Column("commit", 4)]
ROWS = [["1", "xgboost 0.2.0", "0.8475 ± 0.0010", "0.8180 ± 0.0126", "0.7661 ± 0.0210", "0.61 ± 0.01",
         "2026-12-02", "5a857f1"]]


def render(width: int) -> str:
    out = io.StringIO()
    print_table("leaderboard", COLUMNS, ROWS, Console(file=out, width=width))
    return out.getvalue()


def test_wide_terminal_shows_every_column_on_one_line() -> None:
    text = render(200)
    assert "0.8475 ± 0.0010" in text and "5a857f1" in text and "not shown" not in text


def test_80_columns_stack_std_and_name_what_was_left_out() -> None:
    text = render(80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "0.8475" in text and "± 0.0010" in text and "xgboost 0.2.0" in text  # nothing truncated with …
    assert "…" not in text
    assert "not shown at 80 columns:" in text and "commit" in text.split("not shown")[1]
