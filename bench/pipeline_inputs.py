"""Generated inputs of the pipeline benchmark (bench/pipeline_bench.py): the ERA files each
scenario feeds to `era ingest` (the throughput set split over four files, the small files the
latency runs drop on a schedule, the probe file), written once by ``era_ingest.synth`` and cached
under ``var/bench/pipeline/`` by seed and size, plus the paths and sizes the other modules share.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "var" / "bench"
CACHE = BENCH / "pipeline"
PROBE_ADJUSTMENTS = 200
LATENCY_RATE = 2000.0  # adjustments per second offered in the latency runs
LATENCY_FILE_ADJUSTMENTS = 150  # synth target; files come out at ~150-400 adjustments


@dataclass(frozen=True, slots=True)
class InputFile:
    """One generated ERA file and the number of adjustments the generator wrote into it."""

    path: Path
    adjustments: int


def synth(path: Path, *, seed: int, **options: Any) -> InputFile:
    """Generate ``path`` once (cached with a ``.json`` summary beside it) and return it."""
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        return InputFile(path, int(json.loads(meta.read_text())["adjustments"]))
    from era_ingest.synth import generate  # noqa: PLC0415  (only when generating)

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as out:
        summary = generate(out, seed=seed, **options)
    partial.replace(path)
    meta.write_text(json.dumps({"seed": seed, "adjustments": summary.adjustments, **options}))
    return InputFile(path, summary.adjustments)


def throughput_files(adjustments: int, seed: int, parts: int = 4) -> list[InputFile]:
    """``adjustments`` split over ``parts`` files (different seeds, so distinct sets)."""
    directory = CACHE / f"throughput-{adjustments}-s{seed}"
    per_file = -(-adjustments // parts)
    return [
        synth(directory / f"part-{i}.835", seed=seed + i, target_adjustments=per_file)
        for i in range(parts)
    ]


def latency_files(seconds: float, seed: int) -> list[InputFile]:
    """Small files (~200 adjustments each) enough to offer LATENCY_RATE for ``seconds``."""
    directory = CACHE / f"latency-s{seed}"
    files: list[InputFile] = []
    total, i = 0, 0
    while total < LATENCY_RATE * seconds:
        item = synth(
            directory / f"small-{i:05d}.835",
            seed=seed * 100_000 + i,
            target_adjustments=LATENCY_FILE_ADJUSTMENTS,
        )
        files.append(item)
        total += item.adjustments
        i += 1
    return files


def probe_file(seed: int) -> InputFile:
    """A tiny file used to warm the path up and as the memory baseline."""
    return synth(
        CACHE / f"probe-s{seed}.835", seed=seed + 99_999, target_adjustments=PROBE_ADJUSTMENTS
    )
