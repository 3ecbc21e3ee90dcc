"""What links across files cost: row 2 of the pipeline bench (`era ingest` of N adjustments
through 1 classifier + 1 router, first ingest start → last adjustment on a route topic) with the
classifier's links on (the default: claim index in the changelog, PLB lookup hop), with them off
(``ERA_CLASSIFIER_LINKS=false``) and through the plain passthrough of both hops, all in one run
on one broker, so the ratios compare like with like.

    .venv/bin/python bench/links_bench.py [--adjustments 20000]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil

from pipeline_inputs import BENCH, throughput_files
from pipeline_procs import free_port, local_kafka_module
from pipeline_scenarios import Bench, Throughput, throughput


def main(argv: list[str] | None = None) -> int:
    """Run the three throughput figures and print them with their ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--adjustments", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=835)
    args = parser.parse_args(argv)
    files = throughput_files(args.adjustments, args.seed)
    local_kafka = local_kafka_module()
    broker = local_kafka.LocalKafka(BENCH / f"kafka-{os.getpid()}", free_port(), free_port())
    logs = BENCH / f"logs-{os.getpid()}"
    runs: dict[str, Throughput] = {}
    try:
        broker.start(wait=120)
        bench = Bench(broker.bootstrap, broker.pid(), logs)
        for label, links in (("links on", "true"), ("links off", "false"), ("baseline", "")):
            os.environ["ERA_CLASSIFIER_LINKS"] = links or "true"
            print(f"... {label}", flush=True)
            runs[label] = throughput(bench, "baseline" if not links else "pipeline", files)
    finally:
        with contextlib.redirect_stdout(io.StringIO()):
            broker.reset()
        shutil.rmtree(logs, ignore_errors=True)
    base = runs["baseline"].rate
    for label, run in runs.items():
        per_event = {k: v / run.adjustments * 1e6 for k, v in run.cpu.items()}
        cpu = ", ".join(f"{k} {v:.0f} µs" for k, v in sorted(per_event.items()) if v)
        print(f"{label:<10} {run.rate:>9,.0f} adjustments/s  {run.rate / base:5.0%} of baseline")
        print(f"{'':<10} CPU per adjustment: {cpu}")
    on, off = runs["links on"].rate, runs["links off"].rate
    print(f"links on / links off: {on / off:.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
