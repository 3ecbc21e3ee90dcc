"""Links in the chaos tests: copies of the hand-written link fixtures (tests/data/links/), one
payer per pair, and the check that every link the workers made is the one `era explain` makes
offline — each reversal, correction and recoupment once, across kills and restarts."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from era_classifier.links import LINK_FIELDS, ORIGINAL_NOT_SEEN, Linker, forwarding_balances
from era_contract.topics import TopicNames
from era_kafka.config import KafkaSettings
from era_kafka.reader import read_topic
from era_links import ORIGINAL, REVERSAL
from era_streams.state import MemoryStore
from era_testing import read_records


def link_files(directory: Path, pairs: int) -> tuple[list[Path], list[Path]]:
    """``pairs`` copies of the two fixture files, each under its own payer (``DENT<n>``) and
    claim ids: the originals, and the reversal files (reversal + correction + WO recoupment,
    a reversal never seen, an FB)."""
    directory.mkdir(parents=True, exist_ok=True)
    originals, reversals = [], []
    for n in range(pairs):
        for source, out in ((ORIGINAL, originals), (REVERSAL, reversals)):
            text = source.read_text()
            for old, new in (
                ("XV*DENT1", f"XV*DENT{n}"),
                ("LK", f"LK{n:02d}"),
                ("ICN7", f"ICN{n:02d}7"),
                ("FB0220", f"FB{n:02d}0220"),
                ("CHK02", f"CHK{n:02d}02"),
            ):
                text = text.replace(old, new)
            path = directory / f"{source.stem}-{n:02d}.835"
            path.write_text(text)
            out.append(path)
    return originals, reversals


def link_of(record: dict[str, Any]) -> tuple[object, ...]:
    """The link fields of a record, and whether it is flagged original_not_seen."""
    return (*(record.get(f) for f in LINK_FIELDS), ORIGINAL_NOT_SEEN in (record["flags"] or []))


def kind_of(record: dict[str, Any]) -> str:
    """What a record links: reversal, original_not_seen, correction, plb_matched or none."""
    if ORIGINAL_NOT_SEEN in (record["flags"] or []):
        return "original_not_seen"
    for name, kind in (
        ("reverses_event_id", "reversal"),
        ("corrects_claim_event_id", "correction"),
        ("matched_claim_id", "plb_matched"),
    ):
        if record.get(name):
            return kind
    return "none"


@dataclass(slots=True)
class LinkOutcome:
    """Links made on the route topics against the links `era explain` made."""

    made: Counter[str] = field(default_factory=Counter)
    predicted: Counter[str] = field(default_factory=Counter)
    wrong: int = 0  # a link that is not explain's (or one made twice over: a different value)
    # a PLB item explain matched that the worker left unmatched: it must have waited at its
    # lookup partition for the claim's index entry (era_classifier.pending), so none may be
    plb_unmatched: int = 0
    fixture_wrong: int = 0  # on the copies of the fixtures: anything not exactly explain's
    forwarding: dict[str, Decimal] = field(default_factory=dict)
    forwarding_predicted: dict[str, Decimal] = field(default_factory=dict)

    def summary(self) -> str:
        """``links={...} links_predicted={...} ...`` for the summary line."""
        return (
            f"links={dict(sorted(self.made.items()))}"
            f" links_predicted={dict(sorted(self.predicted.items()))} links_wrong={self.wrong}"
            f" fixture_links_wrong={self.fixture_wrong} plb_unmatched={self.plb_unmatched}"
            f" forwarding_open={ {k: str(v) for k, v in sorted(self.forwarding.items())} }"
        )

    def assert_each_link_once(self) -> None:
        """Every link is explain's — no PLB item explain matches left unmatched either; on
        the fixture copies every one is there; FB balances of the fixture payers are explain's
        (applied once, not twice, not lost)."""
        assert self.wrong == 0, self.summary()
        assert self.plb_unmatched == 0, self.summary()
        assert self.fixture_wrong == 0, self.summary()
        assert self.forwarding == self.forwarding_predicted, self.summary()


def compare_links(
    kafka: KafkaSettings,
    names: TopicNames,
    explained: list[dict[str, Any]],
    fixture_files: set[str],
) -> LinkOutcome:
    """Read the route topics and the classifier's changelog and compare with ``explained``
    (the jsonl rows of `era explain` over the run's files, in order)."""
    predicted = {row["event_id"]: row for row in explained}
    routed = [r for topic in names.routes.values() for r in read_records(kafka, topic, 1.0)]
    outcome = LinkOutcome()
    for record in routed:
        outcome.made[kind_of(record)] += 1
        want = predicted.get(record["event_id"])
        if want is None:
            continue
        got, expected = link_of(record), link_of(want)
        if record["file"] in fixture_files:
            outcome.fixture_wrong += got != expected
        elif got != expected:
            unmatched = record["level"] == "provider" and not record.get("matched_claim_id")
            if unmatched:
                outcome.plb_unmatched += 1
            else:
                outcome.wrong += 1
    outcome.predicted = Counter(kind_of(row) for row in explained)
    payers = {row["payer_id"] for row in explained if row["file"] in fixture_files}
    state: dict[tuple[int, bytes], bytes | None] = {}
    for record in read_topic(kafka, names.classifier_changelog, idle_timeout=1.0):
        if record.key is not None:
            state[(record.partition, record.key)] = record.value
    items = [(key, value) for (_, key), value in state.items() if value is not None]
    outcome.forwarding = {
        payer: amount for payer, amount in forwarding_balances(items).items() if payer in payers
    }
    offline = MemoryStore()
    linker = Linker(offline)
    for row in explained:  # the balances explain's linker ends with, the same code
        linker.link(row)
    outcome.forwarding_predicted = {
        payer: amount
        for payer, amount in forwarding_balances(offline.data.items()).items()
        if payer in payers
    }
    return outcome


def explained_rows(stdout: str) -> list[dict[str, Any]]:
    """The rows of `era explain --format jsonl`."""
    return [json.loads(line) for line in stdout.splitlines()]
