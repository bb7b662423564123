"""The self-contained index.html: a summary table, the findings and every PNG inlined (base64) with a link."""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path
from typing import Any

from tircost_bench.records import FAILURE_KINDS
from tircost_bench.report.common import ReportFigure
from tircost_bench.suite.splits import SPLITS

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 0.25em 0.7em; text-align: left; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 2em 0; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { color: #444; font-size: 0.92em; margin-top: 0.4em; }
pre { background: #f7f7f7; padding: 0.8em; white-space: pre-wrap; }
"""


def _pct(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{100 * x:.2f}%"


def _rows(s: dict[str, Any]) -> list[tuple[str, str]]:
    failed = ", ".join(f"{k.replace('_', ' ')} {s[f'failed_{k}']}" for k in FAILURE_KINDS)
    splits = "; ".join(f"{sp} {s[f'split_{sp}_tasks']} tasks / {s[f'split_{sp}_records']} programs" for sp in SPLITS)
    return [
        ("suite", f"{s['suite']} v{s['version']}"),
        ("sha256", s["sha256"]),
        ("tasks", str(s["tasks"])),
        ("networks", str(s["networks"])),
        ("records (measured, valid)", str(s["records_ok"])),
        ("failed", f"{s['failed']} of {s['records_measured']} ({_pct(s['failure_share'])}): {failed}"),
        ("rejected at sampling", (f"{s['sampling_invalid']} invalid, {s['sampling_duplicate']} duplicate "
                                 f"of {s['sampling_tried']} tried")),
        ("splits", splits),
        ("latency range", (f"{s['latency_min_s']:.3g} s .. {s['latency_max_s']:.3g} s "
                          f"({s['latency_orders']:.1f} orders of magnitude)")),
        ("noise (repeat CV) median", f"{_pct(s['noise_cv_median'])} (p90 {_pct(s['noise_cv_p90'])})"),
        (f"pairs within the {_pct(s['noise_band'])} noise band", _pct(s["noise_band_pair_share"])),
        ("pairs within the median noise CV", _pct(s["noise_level_pair_share"])),
        ("|z| < 0.2: global / per-task z-score",
         f"{_pct(s['global_z_near_zero_share'])} / {_pct(s['task_z_near_zero_share'])}"),
    ]


def write_index(out_dir: Path, title: str, summary: dict[str, Any], findings: str,
                figures: list[ReportFigure], platform: dict[str, Any]) -> Path:
    e = html.escape
    parts = [
        "<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f"<p>Platform: {e(', '.join(f'{k}={v}' for k, v in platform.items()))}</p>",
        "<h2>Summary</h2><table>",
        *(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _rows(summary)),
        "</table>",
        "<h2>Findings</h2>", f"<pre>{e(findings)}</pre>",
        "<h2>Figures</h2><ul>",
        *(f"<li><a href='#{e(f.file)}'>{e(f.title)}</a></li>" for f in figures),
        "</ul>",
    ]
    for f in figures:
        data = base64.b64encode((Path(out_dir) / f.file).read_bytes()).decode("ascii")
        parts += [
            f"<figure id='{e(f.file)}'><h3>{e(f.title)}</h3>",
            f"<img src='data:image/png;base64,{data}' alt='{e(f.title)}'>",
            f"<figcaption>{e(f.caption)} <a href='{e(f.file)}'>{e(f.file)}</a></figcaption></figure>",
        ]
    parts.append("</body></html>")
    path = Path(out_dir) / "index.html"
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path
