"""Metric samples from the two sources the page reads, and sums over them (no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True, slots=True)
class Sample:
    """One sample: metric name (with its ``_total``/``_bucket`` suffix), labels, value."""

    name: str
    labels: tuple[tuple[str, str], ...]
    value: float

    def label(self, name: str) -> str:
        """The value of label ``name`` ('' when the sample has none)."""
        for key, value in self.labels:
            if key == name:
                return value
        return ""


def _sample(name: str, labels: Mapping[str, str], value: float) -> Sample:
    return Sample(name, tuple(sorted(labels.items())), value)


def parse_exposition(text: str, **extra_labels: str) -> list[Sample]:
    """Samples of a ``/metrics`` page in the Prometheus text format (``_created`` timestamps
    left out); ``extra_labels`` are added to each, e.g. the service it came from."""
    return [
        _sample(sample.name, {**sample.labels, **extra_labels}, float(sample.value))
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if not sample.name.endswith("_created")
    ]


def parse_prometheus_vector(body: Mapping[str, Any]) -> list[Sample]:
    """Samples of a Prometheus ``/api/v1/query`` answer whose result is an instant vector."""
    if body.get("status") != "success":
        raise ValueError(f"Prometheus answered {body.get('status')!r}: {body.get('error', '')}")
    data = body.get("data", {})
    if data.get("resultType") != "vector":
        raise ValueError(f"expected an instant vector, got {data.get('resultType')!r}")
    samples = []
    for series in data.get("result", []):
        labels = dict(series.get("metric", {}))
        name = labels.pop("__name__", "")
        if not name or name.endswith("_created"):
            continue
        samples.append(_sample(name, labels, float(series["value"][1])))
    return samples


def sum_by(
    samples: Iterable[Sample],
    name: str,
    by: tuple[str, ...] = (),
    where: Mapping[str, str] | None = None,
) -> dict[tuple[str, ...], float]:
    """Sum of the samples called ``name`` whose labels match ``where``, grouped by the labels
    ``by`` (the key is their values in that order; ``()`` for one total)."""
    sums: dict[tuple[str, ...], float] = {}
    for sample in samples:
        if sample.name != name or any(sample.label(k) != v for k, v in (where or {}).items()):
            continue
        key = tuple(sample.label(label) for label in by)
        sums[key] = sums.get(key, 0.0) + sample.value
    return sums


def total(samples: Iterable[Sample], name: str, **where: str) -> float:
    """Sum of every sample called ``name`` matching ``where`` (0 when there is none)."""
    return sum_by(samples, name, where=where).get((), 0.0)


def has_label(samples: Iterable[Sample], name: str, label: str) -> bool:
    """Whether some sample called ``name`` carries a non-empty ``label``."""
    return any(s.name == name and s.label(label) for s in samples)


def parse_prometheus_matrix(
    body: Mapping[str, Any],
) -> list[tuple[tuple[tuple[str, str], ...], list[tuple[float, float]]]]:
    """Series of a Prometheus ``/api/v1/query_range`` answer: (labels, [(time, value)])."""
    if body.get("status") != "success":
        raise ValueError(f"Prometheus answered {body.get('status')!r}: {body.get('error', '')}")
    data = body.get("data", {})
    if data.get("resultType") != "matrix":
        raise ValueError(f"expected a range vector, got {data.get('resultType')!r}")
    return [
        (
            tuple(sorted(series.get("metric", {}).items())),
            [(float(at), float(value)) for at, value in series.get("values", [])],
        )
        for series in data.get("result", [])
    ]
