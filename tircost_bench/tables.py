"""Console tables that fit the terminal: full width when it is wide, and at 80 columns (or a pipe) first
"mean ± std" cells stacked on two lines, then the least important columns left out and named below."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

NARROW = 80  # the width of a pipe or a log unless COLUMNS says otherwise


@dataclass(frozen=True)
class Column:
    header: str
    drop_order: int = 0  # 0: always shown; columns with higher numbers are left out first
    justify: str = "left"


def _stack(cell: str) -> str:
    return cell.replace(" ± ", "\n± ") if " ± " in cell else cell


def _build(title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]], keep: list[int],
           stacked: bool) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for i in keep:
        table.add_column(columns[i].header, justify=columns[i].justify, no_wrap=True)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(*((_stack(row[i]) if stacked else row[i]) for i in keep))
    return table


def fit_table(title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]],
              width: int) -> tuple[Any, list[str]]:
    """(a rich Table no wider than `width` where possible, the headers left out to make it fit)."""
    from rich.console import Console
    from rich.measure import Measurement

    console = Console(width=100_000)  # measures the table's natural width, unclamped
    keep = list(range(len(columns)))
    droppable = sorted((i for i, c in enumerate(columns) if c.drop_order), key=lambda i: -columns[i].drop_order)
    while True:
        for stacked in (False, True):
            table = _build(title, columns, rows, keep, stacked)
            if Measurement.get(console, console.options, table).maximum <= width:
                return table, [columns[i].header for i in range(len(columns)) if i not in keep]
        if not droppable:
            return table, [columns[i].header for i in range(len(columns)) if i not in keep]
        keep.remove(droppable.pop(0))


def print_table(title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]],
                console: Any = None) -> None:
    """Print to stdout at the terminal's width (80 when piped): what was left out is said under the table."""
    from rich.console import Console

    console = console or Console()
    table, hidden = fit_table(title, columns, rows, console.width)
    console.print(table)
    if hidden:
        console.print(f"(not shown at {console.width} columns: {', '.join(hidden)}; "
                      "a wider terminal or --json shows them)", style="dim")
