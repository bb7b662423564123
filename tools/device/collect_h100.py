"""The h100 collection without the CLI's dependencies (the GPU machine has no typer/pydantic)."""

import sys
from pathlib import Path

from tircost_bench.collect.campaign import collect_tasks, load_prepared
from tircost_bench.collect.collector import CollectConfig, summary_json
from tircost_bench.collect.measure import MeasureSettings
from tircost_bench.collect.targets import cuda_target

if __name__ == "__main__":  # the pool's spawned workers re-import this file
    work, seconds = Path(sys.argv[1]), float(sys.argv[2])
    config = CollectConfig(target=cuda_target(), programs_per_task=100, workers=15, overlap=True, prefetch=5,
                           measure=MeasureSettings(min_repeat_ms=20), time_limit_sec=seconds)
    try:
        print(summary_json(collect_tasks(work, load_prepared(work), config)))
    except KeyboardInterrupt:  # `collect-h100.sh stop`: every finished measurement is on disk already
        print("stopped by SIGINT; the work folder resumes where it stopped")
