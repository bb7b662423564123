"""Device side: a GPU training job shares the GPU with concurrent searches without disturbing a measurement.

    python3 tools/device/gpu_gate.py PID [--turn 6] [--lock PATH]

PID is any process of the job's process group (start the job with setsid). The job runs only in turns while
this gate holds the searches' device lock (tircost_bench.search.device_lock.gate_process_group): searches
wait at most one turn for a measured batch, and that wait is off their clocks.
"""

from __future__ import annotations

import argparse
import os

from tircost_bench.search.device_lock import device_lock_path, gate_process_group


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pid", type=int)
    ap.add_argument("--turn", type=float, default=6.0, help="seconds the job runs per turn")
    ap.add_argument("--lock", default=device_lock_path())
    a = ap.parse_args()
    gate_process_group(os.getpgid(a.pid), a.lock, a.turn)


if __name__ == "__main__":
    main()
