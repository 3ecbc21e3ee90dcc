"""Parse benchmark: `era parse` against pyx12 on the same `era synth` content.

Run with the project's interpreter from the repository root::

    .venv/bin/python bench/parse_bench.py            # ~200k adjustments, a few minutes at most
    .venv/bin/python bench/parse_bench.py --big      # plus a 1 GB file (generated once, cached)

Files go to ``var/bench/`` and are reused while their generation options stay the same. Every
tool runs as a whole process (interpreter start and imports included) with its output thrown
away; wall and CPU time and peak RSS come from ``os.wait4`` on that process. pyx12 is installed
only into its own venv ``var/bench/pyx12-venv`` (never a project dependency) and reads a slice
of the same file: the first transaction sets up to ``--pyx12-adjustments``, re-enveloped. Rates
(adjustments per second), not times, are compared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "var" / "bench"
PYX12_VENV = BENCH / "pyx12-venv"
PYX12_COUNT = Path(__file__).resolve().parent / "pyx12_count.py"
TIMEOUT_S = 900.0
SHORT_RUNS = 3
"""Runs per round of ``era parse`` on pyx12's slice (a third of a second against pyx12's ~10 s)."""
# The parser without the CLI and JSON encoding: where the time of `era parse` goes.
PARSE_ONLY = """
import sys
from era_ingest.x12 import Problem, parse_path
n = 0
for item in parse_path(sys.argv[1]):
    if isinstance(item, Problem):
        sys.exit(f"problem: {item}")
    n += item.adjustment_count
print(n)
"""


@dataclass(frozen=True)
class Measure:
    """One finished process: exit status, wall and CPU seconds, peak RSS in MiB."""

    returncode: int
    wall: float
    cpu: float
    rss_mib: float
    stdout: str


def era_command() -> list[str]:
    """The `era` console script next to this interpreter, else ``python -m era_cli.main``."""
    script = Path(sys.executable).with_name("era")
    return [str(script)] if script.exists() else [sys.executable, "-m", "era_cli.main"]


def measure(cmd: list[str], capture: bool = False, timeout: float = TIMEOUT_S) -> Measure:
    """Run ``cmd`` to completion; stdout goes to /dev/null unless ``capture``."""
    out = subprocess.PIPE if capture else subprocess.DEVNULL
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, text=True)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    captured: list[str] = []
    reader = None
    if capture and proc.stdout is not None:
        stream = proc.stdout
        reader = threading.Thread(target=lambda: captured.append(stream.read()))
        reader.start()
    errors: list[str] = []
    assert proc.stderr is not None
    err_stream = proc.stderr
    err_reader = threading.Thread(target=lambda: errors.append(err_stream.read()))
    err_reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    timer.cancel()
    err_reader.join()
    if reader is not None:
        reader.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    code = proc.returncode
    if code != 0:
        sys.stderr.write(f"! {' '.join(cmd)} exited {code}: {''.join(errors)[-2000:]}\n")
    return Measure(
        returncode=code,
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mib=usage.ru_maxrss / 1024,  # Linux reports KiB
        stdout="".join(captured),
    )


def synth(path: Path, options: list[str]) -> dict[str, Any]:
    """Generate ``path`` with ``era synth OPTIONS`` unless a cached copy has the same options."""
    sidecar = path.with_suffix(".summary.json")
    if path.exists() and sidecar.exists():
        cached = json.loads(sidecar.read_text())
        if cached.get("options") == options:
            return dict(cached["summary"])
    tmp = path.with_suffix(".tmp")
    print(f"generating {path.name}: era synth {' '.join(options)} ...", flush=True)
    started = time.perf_counter()
    result = subprocess.run(
        [*era_command(), "synth", *options, "--summary", "--out", str(tmp)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise SystemExit(f"era synth failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    summary = json.loads(result.stderr)
    tmp.replace(path)
    sidecar.write_text(json.dumps({"options": options, "summary": summary}))
    mb = summary["bytes"] / 1e6
    print(f"  {mb:,.1f} MB in {time.perf_counter() - started:,.1f} s", flush=True)
    return dict(summary)


def _count_adjustments(segment: str) -> int:
    elements = segment.split("*")
    if elements[0] == "CAS":
        return sum(1 for reason in elements[2::3] if reason)
    if elements[0] == "PLB":
        return sum(1 for code in elements[3::2] if code)
    return 0


def make_slice(source: Path, target: Path, max_adjustments: int) -> int:
    """Copy the first transaction sets of ``source`` (one ``~`` segment per line) holding up to
    ``max_adjustments`` adjustments into ``target`` with a matching GE/IEA; returns the count."""
    taken = sets = pending = 0
    isa13 = gs06 = ""
    block: list[str] = []
    with source.open(encoding="ascii") as src, target.open("w", encoding="ascii") as dst:
        for raw in src:
            segment = raw.rstrip("\n").rstrip("~")
            tag = segment.split("*", 1)[0]
            if tag in ("ISA", "GS"):
                fields = segment.split("*")
                isa13 = fields[13] if tag == "ISA" else isa13
                gs06 = fields[6] if tag == "GS" else gs06
                dst.write(raw)
                continue
            if tag in ("GE", "IEA"):
                break
            block.append(raw)
            pending += _count_adjustments(segment)
            if tag == "SE":
                if sets and taken + pending > max_adjustments:
                    break
                dst.writelines(block)
                taken, sets, pending, block = taken + pending, sets + 1, 0, []
        dst.write(f"GE*{sets}*{gs06}~\nIEA*1*{isa13}~\n")
    return taken


def ensure_bytecode() -> None:
    """Compile the project's modules to ``__pycache__``, as ``pip install`` does for an
    installed package (pyx12's venv has its bytecode). An editable checkout run with
    ``PYTHONDONTWRITEBYTECODE=1`` (set on some machines) would otherwise compile every module at
    each start: ~45 ms per `era parse`, measured on the benchmark machine, which is not what an
    installed `era` costs."""
    sources = [str(ROOT / part) for part in ("cli", "lib", "services")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *sources], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip


def ensure_pyx12() -> Path:
    """The pyx12 venv's interpreter, created with ``python3 -m venv`` + ``pip install pyx12``."""
    python = PYX12_VENV / "bin" / "python"
    if not python.exists():
        base = shutil.which("python3") or sys.executable
        print("creating var/bench/pyx12-venv (pip install pyx12) ...", flush=True)
        subprocess.run([base, "-m", "venv", str(PYX12_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "pyx12"], check=True)
    return python


@dataclass(frozen=True)
class Row:
    """One line of the result table."""

    tool: str
    file: str
    adjustments: int
    run: Measure

    @property
    def rate(self) -> float:
        return self.adjustments / self.run.wall if self.run.wall else 0.0


def fastest(runs: list[Measure]) -> Measure:
    """The fastest (wall) of ``runs``, with the largest peak RSS seen."""
    best = min(runs, key=lambda m: m.wall)
    return Measure(best.returncode, best.wall, best.cpu, max(m.rss_mib for m in runs), best.stdout)


def alternated(jobs: list[tuple[list[str], int, bool]], rounds: int) -> list[Measure]:
    """The fastest run of each job ``(cmd, runs per round, capture)``, the jobs taking turns
    for ``rounds`` rounds: a burst of load on a shared machine falls on every tool's runs alike,
    not on one tool's block of runs."""
    runs: list[list[Measure]] = [[] for _ in jobs]
    for _ in range(max(1, rounds)):
        for done, (cmd, per_round, capture) in zip(runs, jobs, strict=True):
            done.extend(measure(cmd, capture) for _ in range(per_round))
    return [fastest(done) for done in runs]


def print_table(rows: list[Row], baseline: Row | None) -> None:
    """The comparison table: rates and the speed-up against pyx12."""
    header = (
        f"{'tool':<34} {'file':<22} {'adjustments':>11} {'seconds':>8} {'cpu s':>7} "
        f"{'adjustments/s':>13} {'peak RSS':>9} {'vs pyx12':>8}"
    )
    print()
    print(header)
    print("-" * len(header))
    for row in rows:
        ratio = f"{row.rate / baseline.rate:,.1f}x" if baseline and baseline.rate else "n/a"
        status = "" if row.run.returncode == 0 else f"  (exit {row.run.returncode})"
        print(
            f"{row.tool:<34} {row.file:<22} {row.adjustments:>11,} {row.run.wall:>8.2f} "
            f"{row.run.cpu:>7.2f} {row.rate:>13,.0f} {row.run.rss_mib:>7.0f} M {ratio:>8}{status}"
        )


@dataclass(frozen=True)
class ParseRun:
    """Every row of one parse benchmark run; ``baseline`` is pyx12 (None when skipped)."""

    rows: list[Row]
    baseline: Row | None
    slice_row: Row | None
    failed: bool


def run(
    *,
    adjustments: int = 200_000,
    seed: int = 835,
    pyx12_adjustments: int = 20_000,
    rss_mb: float = 10.0,
    repeat: int = 3,
    skip_pyx12: bool = False,
    big_gb: float | None = None,
) -> ParseRun:
    """Generate (or reuse) the inputs and measure every tool on them: each the fastest of
    ``repeat`` rounds in which the tools take turns (:func:`alternated`; era on pyx12's short
    slice :data:`SHORT_RUNS` times a round), so a burst of load on a shared machine hits
    neither side alone."""
    BENCH.mkdir(parents=True, exist_ok=True)
    ensure_bytecode()
    era = [*era_command(), "parse", "--format", "jsonl"]

    main_file = BENCH / f"synth-{adjustments}-s{seed}.835"
    summary = synth(main_file, ["--adjustments", str(adjustments), "--seed", str(seed)])
    jobs: list[tuple[list[str], int, bool]] = [
        ([*era, str(main_file)], 1, False),
        ([sys.executable, "-c", PARSE_ONLY, str(main_file)], 1, True),
    ]
    sliced = BENCH / f"slice-{pyx12_adjustments}-s{seed}.835"
    in_slice = 0
    if not skip_pyx12:
        python = ensure_pyx12()
        in_slice = make_slice(main_file, sliced, pyx12_adjustments)
        # era on the slice runs ~1/30 as long as pyx12: SHORT_RUNS of it per round, so that
        # one burst of load cannot spoil every run of it
        jobs.append(([*era, str(sliced)], SHORT_RUNS, False))
        jobs.append(([str(python), str(PYX12_COUNT), str(sliced)], 1, True))
    measured = alternated(jobs, repeat)
    rows = [Row("era parse --format jsonl", main_file.name, summary["adjustments"], measured[0])]
    api = measured[1]
    api_count = int(api.stdout.split()[0]) if api.returncode == 0 and api.stdout else -1
    rows.append(Row("parse_path() only, no JSON output", main_file.name, api_count, api))
    baseline: Row | None = None
    slice_row: Row | None = None
    failed = rows[0].run.returncode != 0 or api_count != summary["adjustments"]
    if not skip_pyx12:
        slice_row = Row("era parse --format jsonl", sliced.name, in_slice, measured[2])
        rows.append(slice_row)
        pyx12 = measured[3]
        counted = int(pyx12.stdout.split()[0]) if pyx12.returncode == 0 and pyx12.stdout else -1
        if counted != in_slice:
            sys.stderr.write(f"! pyx12 counted {counted} adjustments, the slice has {in_slice}\n")
            failed = True
        baseline = Row("pyx12 X12ContextReader (2100/CAS)", sliced.name, in_slice, pyx12)
        rows.append(baseline)

    rss_file = BENCH / f"synth-{rss_mb:g}mb-s{seed}.835"
    rss_summary = synth(rss_file, ["--size-mb", f"{rss_mb:g}", "--seed", str(seed)])
    rows.append(
        Row("era parse (peak RSS check)", rss_file.name, rss_summary["adjustments"], measure(
            [*era, str(rss_file)]
        ))
    )  # fmt: skip
    if big_gb is not None:
        big = BENCH / f"synth-{big_gb:g}gb-s{seed}.835"
        big_summary = synth(big, ["--size-mb", f"{big_gb * 1000:g}", "--seed", str(seed)])
        rows.append(
            Row("era parse --format jsonl", big.name, big_summary["adjustments"], measure(
                [*era, str(big)], timeout=4 * 3600
            ))
        )  # fmt: skip
    failed = failed or any(row.run.returncode != 0 for row in rows)
    return ParseRun(rows, baseline, slice_row, failed)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table; exit 1 when a tool failed or miscounted."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--adjustments", type=int, default=200_000, help="main file size")
    parser.add_argument("--seed", type=int, default=835, help="era synth seed")
    parser.add_argument("--pyx12-adjustments", type=int, default=20_000, help="pyx12 slice size")
    parser.add_argument("--rss-mb", type=float, default=10.0, help="file size for the RSS check")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (tools alternate), best kept")
    parser.add_argument("--skip-pyx12", action="store_true", help="no pyx12 baseline")
    parser.add_argument("--big", action="store_true", help="also parse a 1 GB file (cached)")
    parser.add_argument("--big-gb", type=float, default=1.0, help="size of the --big file")
    args = parser.parse_args(argv)
    result = run(
        adjustments=args.adjustments,
        seed=args.seed,
        pyx12_adjustments=args.pyx12_adjustments,
        rss_mb=args.rss_mb,
        repeat=args.repeat,
        skip_pyx12=args.skip_pyx12,
        big_gb=args.big_gb if args.big else None,
    )
    print_table(result.rows, result.baseline)
    print(
        "\nseconds = wall clock of the whole process (start-up included); adjustments/s uses "
        "wall clock;\npeak RSS = ru_maxrss of that process (os.wait4). Target: >= 30x pyx12."
    )
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
