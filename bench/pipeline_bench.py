"""Pipeline benchmark: `era ingest` → classifier → router on a real local Kafka broker, next to a
plain consume→produce passthrough (no transactions) over the same two hops.

Run with the project's interpreter from the repository root::

    .venv/bin/python bench/pipeline_bench.py            # 200k adjustments, 60 s latency runs
    .venv/bin/python bench/pipeline_bench.py --quick    # 20k-adjustment pipeline, 20 s latency
    .venv/bin/python bench/pipeline_bench.py --big      # plus ingest peak RSS on a 1 GB file
    .venv/bin/python bench/pipeline_bench.py --quick --cluster 3   # plus row 6: replicated

The script starts its own broker (``deploy/kafka/local_kafka.py``, home ``var/bench/kafka-<pid>``,
two free loopback ports; stopped and deleted at the end), creates every scenario's topics under
a fresh prefix (4 partitions, RF 1) and prints one table: each figure, its baseline and the
ratio. ``--cluster N`` (or ``ERA_BENCH_CLUSTER=N``) then runs the throughput rows again on a local
N-node cluster (``local_cluster.py``, topics RF 3, ``min.insync.replicas`` 2) and adds row 6:
the replicated pipeline next to the replicated baseline and next to the single broker.
Generated ERA files are cached under ``var/bench/pipeline/`` by seed and size. See
bench/README.md for what each row measures and why.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline_hops import run_hop
from pipeline_inputs import (
    BENCH,
    CACHE,
    LATENCY_RATE,
    ROOT,
    InputFile,
    latency_files,
    probe_file,
    synth,
    throughput_files,
)
from pipeline_procs import BenchError, Finished, free_port, local_kafka_module, status_kib
from pipeline_scenarios import Bench, Latency, Throughput, ingest_rss, latency, throughput


def machine() -> str:
    pom = (ROOT / "deploy" / "kafka" / "pom.xml").read_text()
    found = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom)
    kafka_version = found.group(1) if found else "?"
    import confluent_kafka  # noqa: PLC0415

    return (
        f"machine: nproc {os.cpu_count()}, {platform.machine()},"
        f" Python {platform.python_version()}, Apache Kafka {kafka_version}"
        " (deploy/kafka/pom.xml, KRaft, 1 node), confluent-kafka"
        f" {confluent_kafka.version()[0]} / librdkafka {confluent_kafka.libversion()[0]}"
    )


Row = tuple[str, str, str, str]


def print_table(rows: list[Row], notes: list[str]) -> None:
    header: Row = ("measure", "figure", "baseline", "ratio")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    print(line)
    for row in [header, *rows]:
        print(
            "  ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                for i, cell in enumerate(row)
            )
        )
        if row is header:
            print(line)
    print(line)
    for note in notes:
        print(note)


def cpu_note(label: str, result: Throughput) -> str:
    parts = []
    for name, seconds in sorted(result.cpu.items()):
        short = re.sub(r"^b[0-9a-f]{6}-[a-z0-9]+-", "", name)
        parts.append(f"{short} {seconds:.1f} ({seconds / result.adjustments * 1e6:.0f} µs/adj)")
    total = sum(result.cpu.values())
    parts.append(f"all {total:.1f} = {total / result.seconds:.2f} cores busy")
    return (
        f"  CPU s during the {label} run ({result.seconds:.1f} s wall, ingest process"
        f" {result.ingest_seconds:.1f} s): " + ", ".join(parts)
    )


@dataclass(slots=True)
class Results:
    """Every measurement of one run."""

    pipe1: Throughput
    base1: Throughput
    pipe2: Throughput
    faust1: Throughput
    lat_pipe: Latency
    lat_base: Latency
    rss_probe: Finished
    rss_10: Finished
    rss_big: Finished | None
    cluster: tuple[int, Throughput, Throughput] | None = None  # nodes, pipeline, baseline


def report(
    results: Results,
    *,
    files: list[InputFile],
    load: list[InputFile],
    probe: InputFile,
    ten_mb: InputFile,
    big: InputFile | None,
) -> tuple[list[Row], list[str]]:
    """The table rows and the notes under it."""
    pipe1, base1, pipe2 = results.pipe1, results.base1, results.pipe2
    lat_pipe, lat_base = results.lat_pipe, results.lat_base
    rss_probe, rss_10, rss_big = results.rss_probe, results.rss_10, results.rss_big
    rows: list[Row] = [
        (
            "2 pipeline throughput, adj/s (1+1 workers)",
            f"{pipe1.rate:,.0f}",
            f"{base1.rate:,.0f}",
            f"{pipe1.rate / base1.rate:.0%}",
        ),
        (
            "  same, faust agent engine (at least once), adj/s",
            f"{results.faust1.rate:,.0f}",
            f"{base1.rate:,.0f}",
            f"{results.faust1.rate / base1.rate:.0%}",
        ),
        (
            "  ingest process alone, adj/s (same runs)",
            f"{pipe1.adjustments / pipe1.ingest_seconds:,.0f}",
            f"{base1.adjustments / base1.ingest_seconds:,.0f}",
            f"{base1.ingest_seconds / pipe1.ingest_seconds:.0%}",
        ),
    ]
    for label, attr in (("p50", "p50"), ("p99", "p99"), ("p999", "p999")):
        a, b = getattr(lat_pipe, attr), getattr(lat_base, attr)
        rows.append(
            (
                f"3 latency {label}, ms @ {LATENCY_RATE:.0f}/s",
                f"{a:,.0f}",
                f"{b:,.0f}",
                f"{a / b:.1f}x",
            )
        )
    rows.append(
        (
            "  offered load achieved, adj/s",
            f"{lat_pipe.offered:,.0f}",
            f"{lat_base.offered:,.0f}",
            f"{lat_pipe.offered / lat_base.offered:.0%}",
        )
    )
    mib = 1024.0
    rows.append(
        (
            f"4 ingest peak RSS, MiB, 10 MB file ({ten_mb.adjustments:,} adj)",
            f"{rss_10.max_rss_kib / mib:.0f}",
            f"{rss_probe.max_rss_kib / mib:.0f}",
            f"{rss_10.max_rss_kib / rss_probe.max_rss_kib:.2f}x",
        )
    )
    if rss_big is not None and big is not None:
        rows.append(
            (
                f"4 ingest peak RSS, MiB, 1 GB file ({big.adjustments:,} adj)",
                f"{rss_big.max_rss_kib / mib:.0f}",
                f"{rss_probe.max_rss_kib / mib:.0f}",
                f"{rss_big.max_rss_kib / rss_probe.max_rss_kib:.2f}x",
            )
        )
    rows.append(
        (
            "5 pipeline throughput, adj/s, 2+2 workers",
            f"{pipe2.rate:,.0f}",
            f"{pipe1.rate:,.0f}",
            f"{pipe2.rate / pipe1.rate:.0%}",
        )
    )
    notes = [
        f"2 {pipe1.adjustments:,} adjustments in {len(files)} files, one `era ingest` process;"
        " time from its start to the last adjustment visible to a read_committed reader of the"
        " route topics (counted live, confirmed by reading them fully). Baseline: plain"
        " consume(500)→decode→encode→produce over the same two hops, read_committed consumer,"
        " idempotent producer, auto-committed offsets, NO transactions (at least once). Target"
        " ratio ≥ 50%, pipeline ≥ 8,000/s.",
        cpu_note("pipeline", pipe1),
        cpu_note("baseline", base1),
        "2 faust agent engine: bench/faust_agent.py, a faust agent per worker, one event at"
        " a time, raw bytes in and out, at least once: what the transactional loop replaced.",
        cpu_note("faust engine", results.faust1),
        f"3 {lat_pipe.count:,} adjustments in {len(load)} files of ~200 dropped into an"
        " `era ingest --watch` inbox (poll 20 ms) at a fixed rate; latency = routed_at -"
        " ingested_at, so it includes each file's transaction (events are stamped while the"
        " file is parsed and become visible at its commit). Baseline: same ingest, baseline hops.",
        f"4 peak RSS (os.wait4 ru_maxrss) of `era ingest FILE`; baseline = the same command on a"
        f" {probe.adjustments}-adjustment file (interpreter, imports and client floor). Measured"
        " first: a child's ru_maxrss starts from its parent's RSS at fork, so it runs while this"
        " process is small; VmHWM polled from /proc agrees:"
        f" {rss_10.hwm_kib / 1024:.0f} / {rss_probe.hwm_kib / 1024:.0f} MiB.",
        "5 baseline = the 1+1 pipeline run above. nproc is "
        f"{os.cpu_count()}: with the broker, ingest and 4 workers sharing them this mostly shows"
        " overhead, not scaling.",
        cpu_note("2+2 pipeline", pipe2),
    ]
    if results.cluster is not None:
        nodes, rep_pipe, rep_base = results.cluster
        rows.extend(cluster_rows(nodes, rep_pipe, rep_base, pipe1, base1))
        notes.extend(
            [
                f"6 the same {rep_pipe.adjustments:,} adjustments as row 2 on a local"
                f" {nodes}-node KRaft cluster (combined broker+controller nodes, -Xmx384m each),"
                " topics replicated 3 times with min.insync.replicas 2, acks=all: first line"
                " against the baseline hops on the same cluster (compare with row 2's ratio),"
                " the next two against row 2 on the single broker. All nodes share this"
                " machine's cores, so this is the cost of replication here, not a scaling figure.",
                cpu_note("replicated pipeline", rep_pipe),
                cpu_note("replicated baseline", rep_base),
            ]
        )
    return rows, notes


def cluster_rows(
    nodes: int, rep_pipe: Throughput, rep_base: Throughput, pipe1: Throughput, base1: Throughput
) -> list[Row]:
    """Row 6: the replicated throughput, its ratio to the replicated baseline and to row 2."""
    return [
        (
            f"6 replicated pipeline throughput, adj/s ({nodes} brokers, RF 3, 1+1 workers)",
            f"{rep_pipe.rate:,.0f}",
            f"{rep_base.rate:,.0f}",
            f"{rep_pipe.rate / rep_base.rate:.0%}",
        ),
        (
            "  replicated pipeline vs single-broker pipeline (row 2)",
            f"{rep_pipe.rate:,.0f}",
            f"{pipe1.rate:,.0f}",
            f"{rep_pipe.rate / pipe1.rate:.0%}",
        ),
        (
            "  replicated baseline vs single-broker baseline",
            f"{rep_base.rate:,.0f}",
            f"{base1.rate:,.0f}",
            f"{rep_base.rate / base1.rate:.0%}",
        ),
    ]


def run_scenarios(
    bench: Bench,
    *,
    files: list[InputFile],
    load: list[InputFile],
    probe: InputFile,
    ten_mb: InputFile,
    big: InputFile | None,
    latency_s: float,
) -> Results:
    """Every scenario, in order, on one broker."""

    def step(what: str) -> None:
        print(f"... {what}", flush=True)

    step(f"ingest memory (this process: {status_kib(os.getpid(), 'VmRSS') / 1024:.0f} MiB)")
    rss_probe = ingest_rss(bench, probe)
    rss_10 = ingest_rss(bench, ten_mb)
    rss_big = ingest_rss(bench, big) if big is not None else None
    step(f"pipeline throughput, {sum(f.adjustments for f in files)} adjustments, 1+1 workers")
    pipe1 = throughput(bench, "pipeline", files)
    step(f"baseline throughput ({pipe1.rate:,.0f}/s pipeline)")
    base1 = throughput(bench, "baseline", files)
    step(f"pipeline throughput, faust agent engine ({base1.rate:,.0f}/s baseline)")
    faust1 = throughput(bench, "faust", files)
    step(f"pipeline throughput, 2+2 workers ({faust1.rate:,.0f}/s faust engine)")
    pipe2 = throughput(bench, "pipeline", files, workers=2)
    step(f"pipeline latency at {LATENCY_RATE:.0f}/s for {latency_s:.0f}s")
    lat_pipe = latency(bench, "pipeline", load, probe)
    step("baseline latency")
    lat_base = latency(bench, "baseline", load, probe)
    return Results(pipe1, base1, pipe2, faust1, lat_pipe, lat_base, rss_probe, rss_10, rss_big)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--adjustments", type=int, default=200_000)
    parser.add_argument("--quick", action="store_true", help="20k adjustments, 20 s latency")
    parser.add_argument("--big", action="store_true", help="also ingest RSS on a 1 GB file")
    parser.add_argument("--seed", type=int, default=835)
    parser.add_argument("--latency-seconds", type=float, default=None)
    parser.add_argument("--no-parse", action="store_true", help="skip the parse rows (pyx12)")
    parser.add_argument(
        "--cluster",
        type=int,
        default=int(os.environ.get("ERA_BENCH_CLUSTER", "0")),
        metavar="N",
        help="also run the throughput rows on a local N-node cluster (RF 3): row 6",
    )
    parser.add_argument("--hop", type=int, choices=(1, 2), help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.hop is not None:
        return run_hop(args.hop, args.prefix)
    adjustments = 20_000 if args.quick else args.adjustments
    latency_s = args.latency_seconds or (20.0 if args.quick else 60.0)

    print(machine(), flush=True)
    t = time.monotonic()
    files = throughput_files(adjustments, args.seed)
    load = latency_files(latency_s, args.seed)
    probe = probe_file(args.seed)
    ten_mb = synth(CACHE / f"synth-10mb-s{args.seed}.835", seed=args.seed, target_bytes=10**7)
    big = (
        synth(CACHE / f"synth-1gb-s{args.seed}.835", seed=args.seed, target_bytes=10**9)
        if args.big
        else None
    )
    print(f"inputs ready in {time.monotonic() - t:.1f}s (cached under {CACHE})", flush=True)
    parse_rows: list[Row] = []
    parse_notes: list[str] = []
    if not args.no_parse:
        print("... parse: era parse and pyx12 on the same generated content", flush=True)
        parse_rows, parse_notes = parse_figures(args.adjustments, args.seed)

    local_kafka = local_kafka_module()
    for stale in BENCH.glob("kafka-*"):  # left behind by a killed run
        if local_kafka.LocalKafka(stale, 0, 0).pid() is None:
            shutil.rmtree(stale, ignore_errors=True)
    broker = local_kafka.LocalKafka(BENCH / f"kafka-{os.getpid()}", free_port(), free_port())
    logs = BENCH / f"logs-{os.getpid()}"
    try:
        broker.start(wait=120)
        bench = Bench(broker.bootstrap, broker.pid(), logs)
        results = run_scenarios(
            bench, files=files, load=load, probe=probe, ten_mb=ten_mb, big=big, latency_s=latency_s
        )
    except BaseException:
        print(f"logs kept in {logs}", file=sys.stderr)
        raise
    else:
        shutil.rmtree(logs, ignore_errors=True)
    finally:
        with contextlib.redirect_stdout(io.StringIO()):
            broker.reset()
    if args.cluster > 1:
        results.cluster = cluster_figures(args.cluster, files, logs)

    rows, notes = report(results, files=files, load=load, probe=probe, ten_mb=ten_mb, big=big)
    print()
    print_table([*parse_rows, *rows], [*parse_notes, *notes])
    return 0


def cluster_figures(
    nodes: int, files: list[InputFile], logs: Path
) -> tuple[int, Throughput, Throughput]:
    """Row 6: pipeline and baseline throughput on a local ``nodes``-node cluster."""
    local_kafka_module()  # puts deploy/kafka on the path
    import local_cluster  # noqa: PLC0415

    for stale in BENCH.glob("cluster-*"):  # left behind by a killed run
        if not any(local_kafka_module().LocalKafka(n, 0, 0).pid() for n in stale.glob("node-*")):
            shutil.rmtree(stale, ignore_errors=True)
    cluster = local_cluster.LocalCluster(BENCH / f"cluster-{os.getpid()}", nodes)
    try:
        cluster.start(wait=180)
        pids = [node.pid() or 0 for node in cluster.nodes.values()]
        bench = Bench(
            cluster.bootstrap,
            pids[0],
            logs,
            replication=cluster.replication,
            more_broker_pids=tuple(pids[1:]),
        )
        print(f"... replicated pipeline throughput on {nodes} brokers", flush=True)
        pipe = throughput(bench, "pipeline", files)
        print(f"... replicated baseline throughput ({pipe.rate:,.0f}/s pipeline)", flush=True)
        base = throughput(bench, "baseline", files)
    except BaseException:
        print(f"logs kept in {logs}", file=sys.stderr)
        raise
    else:
        shutil.rmtree(logs, ignore_errors=True)
    finally:
        with contextlib.redirect_stdout(io.StringIO()):
            cluster.reset()
    return nodes, pipe, base


def parse_figures(adjustments: int, seed: int) -> tuple[list[Row], list[str]]:
    """Row 1: ``era parse`` against pyx12 (bench/parse_bench.py), as rows of this table. The
    same sizes with ``--quick`` (under a minute): on a smaller slice, start-up would be most of
    what is timed."""
    import parse_bench  # noqa: PLC0415  (beside this script; it imports nothing of the project)

    run = parse_bench.run(adjustments=adjustments, seed=seed, pyx12_adjustments=20_000)
    if run.failed or run.baseline is None or run.slice_row is None:
        raise BenchError("the parse benchmark failed; run bench/parse_bench.py to see why")
    pyx12 = run.baseline.rate
    whole, parse_only = run.rows[0], run.rows[1]
    rows: list[Row] = [
        (
            f"1 parse, era parse adj/s, pyx12's input ({run.slice_row.adjustments:,} adj)",
            f"{run.slice_row.rate:,.0f}",
            f"{pyx12:,.0f}",
            f"{run.slice_row.rate / pyx12:.1f}x",
        ),
        (
            f"  era parse adj/s, {whole.adjustments:,}-adjustment file",
            f"{whole.rate:,.0f}",
            f"{pyx12:,.0f}",
            f"{whole.rate / pyx12:.1f}x",
        ),
        (
            "  parse_path() alone (no JSON output), same file",
            f"{parse_only.rate:,.0f}",
            f"{pyx12:,.0f}",
            f"{parse_only.rate / pyx12:.1f}x",
        ),
    ]
    notes = [
        "1 whole processes (start-up included), wall clock; baseline: pyx12's X12ContextReader"
        f" counting 2100/CAS adjustments on the first {run.slice_row.adjustments:,} adjustments'"
        " transaction sets of the same generated file, the first row's input. Target >= 30x.",
    ]
    return rows, notes


if __name__ == "__main__":
    sys.exit(main())
