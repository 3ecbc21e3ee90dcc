"""The ingest publisher: parse a file and publish it to Kafka in one transaction.

Delivery: an idempotent, transactional confluent-kafka producer publishes every adjustment of a
file, its dead-letter records and a receipt in the ingest ledger (:mod:`era_ingest.ledger`) in
**one Kafka transaction**. A crash before the commit leaves nothing visible to read_committed
consumers; the restarted service (same ``transactional.id``) fences the dead producer, which
aborts its open transaction, and publishes the file again from the start. A crash after the
commit but before the file was moved is caught by the ledger: the file is recognised as already
published and only moved. So every adjustment of an accepted file is published exactly once.

The ledger also holds one receipt per published transaction set, so a set that arrives again
inside another file (re-delivered by a clearinghouse, re-wrapped with other whitespace) is
recognised by its fingerprint and skipped: its event ids would be the same.

A big file (more than ``ERA_INGEST_TRANSACTION_MAX_ADJUSTMENTS`` adjustments, or an open
transaction older than ``ERA_INGEST_TRANSACTION_MAX_SECONDS``) is committed in several
transactions, each ending at a transaction-set boundary (a set is one payment and balances on its
own) with a progress receipt. A crashed or failed run resumes after the last committed set, so a
month of remittance in one file neither outlives the transaction timeout nor is published twice.

While the cluster cannot take writes (two of three brokers down, no transaction coordinator)
every blocking transactional call waits in slices of ``CALL_TIMEOUT_SECONDS`` and is retried with
backoff (``era_kafka.retry``) for up to ``ERA_INGEST_WRITE_STALL_MAX_SECONDS``; meanwhile
``stall.stalled`` is true (``/readyz`` 503, ``era_kafka_write_stalled{service="ingest"}`` 1).
Past that the attempt fails as before and the file is published again from its last commit.

A transaction whose messages stop being delivered while the cluster answers (librdkafka can hold
a partition's messages back after a broker restart, until the message timeout of 300 s) is given
up sooner: when messages are outstanding and none was delivered for
``ERA_INGEST_DELIVERY_STALL_SECONDS`` (:class:`era_kafka.delivery.DeliveryWatch`), the producer
is dropped without committing and the next attempt's new producer (same ``transactional.id``)
fences it and aborts its transaction, then publishes the file again from its last commit.
"""

from __future__ import annotations

import hashlib
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaException, Producer

from era_analytics.definition import judge_all
from era_analytics.locations import LocationLabels, LocationMap
from era_contract.phi import PhiSettings
from era_contract.topics import TopicNames
from era_ingest.ledger import (
    IngestLedger,
    LedgerRecord,
    file_record,
    progress_record,
    set_record,
)
from era_ingest.metrics import IngestMetrics
from era_ingest.records import (
    FileReport,
    Tally,
    claim_key,
    dead_letter_for,
    file_digest,
    remittance_key,
)
from era_ingest.settings import IngestSettings
from era_ingest.x12 import ParsedTransaction, Problem, parse_path
from era_ingest.x12.problems import DUPLICATE, OTHER
from era_kafka.clients import Codecs, producer_config
from era_kafka.config import KafkaSettings
from era_kafka.delivery import DeliveryStalledError, DeliveryWatch
from era_kafka.reader import TopicReadError
from era_kafka.retry import Backoff, WriteStall, call_with_backoff
from era_streams.deadletter import Headers, record_headers

log = logging.getLogger("era.ingest")

# A blocking transactional call waits this long before it counts as a stall and is retried.
CALL_TIMEOUT_SECONDS = 10.0


@dataclass(slots=True)
class _OpenTransaction:
    """What the open Kafka transaction of a file holds so far."""

    tally: Tally = field(default_factory=Tally)
    new_sets: dict[str, str] = field(default_factory=dict)  # set fingerprint -> file
    adjustments: int = 0
    opened: float = field(default_factory=time.monotonic)


class IngestError(RuntimeError):
    """A file could not be published; its transaction was aborted, nothing of it is visible.

    ``retriable`` is true when Kafka refused (try again later), false when the file itself made
    the parser fail unexpectedly (retrying would fail the same way).
    """

    def __init__(self, message: str, *, retriable: bool) -> None:
        super().__init__(message)
        self.retriable = retriable


def transactional_id_for(prefix: str, scope: str, paths: list[Path]) -> str:
    """A stable transactional.id for one ingest scope (a watched inbox, or a set of inputs)."""
    joined = "\n".join(sorted(str(p.resolve()) for p in paths))
    digest = hashlib.sha256(f"{socket.gethostname()}\n{joined}".encode()).hexdigest()[:12]
    return f"{prefix}-ingest-{scope}-{digest}"


class IngestPublisher:
    """Publishes ERA files, each in one Kafka transaction, at most once per file content."""

    def __init__(
        self,
        *,
        kafka: KafkaSettings,
        topics: TopicNames,
        codecs: Codecs,
        settings: IngestSettings,
        metrics: IngestMetrics,
        transactional_id: str,
        phi: PhiSettings | None = None,
    ) -> None:
        self.kafka = kafka
        self.topics = topics
        self.codecs = codecs
        self.settings = settings
        self.locations = LocationLabels(
            LocationMap.load(settings.locations), settings.location_label_cap
        )
        self.metrics = metrics
        self.producer_config = producer_config(
            kafka,
            transactional_id=transactional_id,
            **{"transaction.timeout.ms": settings.transaction_timeout_ms},
        )
        self.producer = Producer(self.producer_config)
        self.ledger = IngestLedger()
        self.tokenizer = phi.tokenizer() if phi is not None else None
        self.stall: WriteStall = metrics.write_stall
        self.backoff = Backoff()
        self.delivery = DeliveryWatch(lambda: len(self.producer), settings.delivery_stall_seconds)
        self._producer_spent = False  # a transaction was left open on it: replace before use

    def start(self) -> None:
        """Fence any earlier producer with this id (aborting its open transaction), then load
        the ledger of files already published."""
        self._init_transactions()
        self._load_ledger()

    def _retry(
        self, operation: Callable[[], Any], what: str, give_up: Callable[[], bool] = lambda: False
    ) -> Any:
        return call_with_backoff(
            operation,
            what=what,
            stall=self.stall,
            backoff=self.backoff,
            give_up=give_up,
            max_seconds=self.settings.write_stall_max_seconds,
        )

    def _init_transactions(self) -> None:
        producer = self.producer
        self._retry(lambda: producer.init_transactions(CALL_TIMEOUT_SECONDS), "init_transactions")

    def _load_ledger(self) -> None:
        ledger = IngestLedger()  # whole or not at all: a failed read keeps the old one
        ledger.load(self.kafka, self.topics.ingest_ledger)
        self.ledger = ledger

    def publish(self, path: Path) -> FileReport:
        """Parse and publish ``path``; returns its report.

        When Kafka fails the transaction (a broker restart, a lost connection) the file is
        published again from the start, up to ``ERA_INGEST_PUBLISH_ATTEMPTS`` times, each time
        with a fresh producer (same transactional.id, so the old one is fenced) and after
        re-reading the ledger, in case the failed commit did land. Raises :class:`IngestError`
        when all attempts failed (nothing of the file is then visible)."""
        attempts = self.settings.publish_attempts
        for attempt in range(1, attempts + 1):
            try:
                if attempt > 1 or self._producer_spent:
                    self._restart_producer()
                return self._publish_once(path)
            except IngestError as exc:
                error = exc
            except (KafkaException, TopicReadError) as exc:  # the restart itself failed
                error = IngestError(f"{path.name}: Kafka unavailable: {exc}", retriable=True)
            if not error.retriable or attempt == attempts:
                raise error
            delay = min(self.backoff.delay(attempt + 1), 30.0)
            log.warning("%s; attempt %d of %d in %.0fs", error, attempt + 1, attempts, delay)
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _restart_producer(self) -> None:
        """A new producer with the same transactional.id: its ``init_transactions`` fences the
        old one and aborts (or waits out the commit of) what it left open; then the ledger is
        read again, in case that commit did land. Until both succeeded the producer counts as
        spent, so the next :meth:`publish` (the drop folder's next poll, after the last attempt
        failed here) restarts again instead of trusting a ledger that may lack a commit."""
        self._producer_spent = True
        self.producer = Producer(self.producer_config)
        self._init_transactions()
        self._load_ledger()
        self._producer_spent = False

    def _publish_once(self, path: Path) -> FileReport:
        started = time.perf_counter()
        digest = file_digest(path)
        report = FileReport(file=path.name, sha256=digest)
        ledger = self.ledger
        previous = ledger.files.get(digest)
        if previous is not None:
            report.duplicate_of = str(previous.get("file"))
            report.outcome = str(previous.get("outcome"))
            report.adjustments = int(previous.get("adjustments", 0))
            self.metrics.files.labels("duplicate").inc()
            return report
        progress = ledger.progress.get(digest)
        done_items = 0
        if progress is not None:
            report = FileReport(**{**progress["report"], "file": path.name})
            done_items = int(progress["items"])
            log.info("%s: resuming after %d committed parser items", path.name, done_items)
        self._begin()
        try:
            txn = self._publish_contents(path, report, digest, done_items)
            report.settle()
            receipt = {**report.as_dict(), "committed_at": _now_ms()}
            self._write_set_receipts(txn)
            self._write_ledger(file_record(digest, receipt))
            if progress is not None or digest in ledger.progress:
                self._write_ledger(progress_record(digest, None))
            self._commit()
        except DeliveryStalledError as exc:
            self._abandon()
            message = f"{path.name}: delivery stalled, transaction given up: {exc}"
            raise IngestError(message, retriable=True) from exc
        except (KafkaException, BufferError) as exc:
            self._abort()
            message = f"{path.name}: publishing failed, transaction aborted: {exc}"
            raise IngestError(message, retriable=True) from exc
        except Exception as exc:  # a parser bug must not leave the transaction open
            self._abort()
            message = f"{path.name}: internal error, transaction aborted: {exc!r}"
            raise IngestError(message, retriable=False) from exc
        ledger.files[digest] = receipt
        ledger.progress.pop(digest, None)
        ledger.sets.update(txn.new_sets)
        self.metrics.record_file(
            report.outcome, txn.tally, time.perf_counter() - started, time.time()
        )
        return report

    def _publish_contents(
        self,
        path: Path,
        report: FileReport,
        digest: str,
        done_items: int,
    ) -> _OpenTransaction:
        """Publish the file's items after the first ``done_items``; returns the transaction
        that is still open (earlier ones were committed at checkpoints)."""
        txn = _OpenTransaction()
        size = path.stat().st_size
        if size > self.settings.max_file_bytes:
            problem = Problem(
                str(path),
                0,
                f"file is {size} bytes, over the limit of {self.settings.max_file_bytes}"
                " (ERA_INGEST_MAX_FILE_BYTES)",
            )
            report.add_problem(problem)
            self._dead_letter(problem, "file_too_large", digest, txn.tally)
            return txn
        encode = self.codecs.adjustment.encode
        produce = self._produce
        topic = self.topics.adjustments
        strict = self.settings.strict_envelope
        for index, item in enumerate(parse_path(path, strict=strict), start=1):
            if index <= done_items:
                continue  # committed by an earlier run that was cut off
            if isinstance(item, Problem):
                report.add_problem(item)
                if item.severity == "warning":
                    txn.tally.warnings[item.kind or OTHER] += 1
                if item.rejected:
                    report.transactions_rejected += 1
                    txn.tally.rejected_sets += 1
                    self._dead_letter(item, "rejected_transaction", digest, txn.tally)
                elif item.segment_no == 0 and item.severity == "error":
                    self._dead_letter(item, "unreadable_file", digest, txn.tally)
                continue
            if self._already_published(item, path, report):
                txn.tally.warnings[DUPLICATE] += 1
                continue
            txn.new_sets[item.fingerprint] = path.name
            report.transactions_accepted += 1
            for problem in item.problems:
                report.add_problem(problem)
                txn.tally.warnings[problem.kind or OTHER] += 1
            self._count_set(item, txn.tally)
            self._publish_claims(item, report)
            counted = txn.tally.adjustments
            tokenizer = self.tokenizer
            for adjustment in item.adjustments:
                if tokenizer is not None:
                    tokenizer.apply(adjustment)
                adjustment["ingested_at"] = _now_ms()
                produce(topic, encode(adjustment), claim_key(adjustment))
                counted[(str(adjustment["payer_id"] or "unknown"), str(adjustment["level"]))] += 1
            report.adjustments += len(item.adjustments)
            txn.adjustments += len(item.adjustments)
            if self._checkpoint_due(txn):
                self._checkpoint(report, digest, txn, index)
                txn = _OpenTransaction()
                self._begin()
        return txn

    def _count_set(self, item: ParsedTransaction, tally: Tally) -> None:
        """Tally a set's claims: by CLP02 outcome, and by the denial definition per location
        and payer; and that its payer sent a remittance."""
        tally.add_claims(item.payer_id, item.claim_statuses)
        tally.add_verdicts(judge_all(item.claims, item.adjustments), self.locations)
        if item.remittance is not None:
            tally.remittance_payers.add(item.payer_id or "unknown")

    def _publish_claims(self, item: ParsedTransaction, report: FileReport) -> None:
        """The set's Remittance and its Claims, in the transaction of its adjustments (before
        them, so a reader of all three topics finds a check before its parts)."""
        now = _now_ms()
        produce = self._produce
        remittance = item.remittance
        if remittance is not None:
            remittance["ingested_at"] = now
            value = self.codecs.remittance.encode(remittance)
            produce(self.topics.remittances, value, remittance_key(remittance))
            report.remittances += 1
        encode = self.codecs.claim.encode
        topic = self.topics.claims
        tokenizer = self.tokenizer
        claims = item.claims
        for claim in claims:
            if tokenizer is not None:
                tokenizer.apply(claim)
            claim["ingested_at"] = now
            produce(topic, encode(claim), claim_key(claim))
        report.claims += len(claims)

    def _checkpoint_due(self, txn: _OpenTransaction) -> bool:
        settings = self.settings
        return (
            txn.adjustments >= settings.transaction_max_adjustments
            or time.monotonic() - txn.opened >= settings.transaction_max_seconds
        )

    def _checkpoint(
        self, report: FileReport, digest: str, txn: _OpenTransaction, done_items: int
    ) -> None:
        """Commit the sets published so far with a progress receipt to resume from."""
        self._write_set_receipts(txn)
        progress = {"file": report.file, "items": done_items, "report": report.as_dict()}
        self._write_ledger(progress_record(digest, progress))
        self._commit()
        self.ledger.progress[digest] = progress
        self.ledger.sets.update(txn.new_sets)
        self.metrics.record_committed(txn.tally)
        log.info(
            "%s: committed %d adjustments so far, the file goes on in a new transaction",
            report.file,
            report.adjustments,
        )

    def _write_set_receipts(self, txn: _OpenTransaction) -> None:
        for fingerprint, file in txn.new_sets.items():
            self._write_ledger(set_record(fingerprint, file))

    def _write_ledger(self, record: LedgerRecord) -> None:
        key, value = record
        self._produce(self.topics.ingest_ledger, value, key)

    def _begin(self) -> None:
        self.producer.begin_transaction()
        self.delivery.restart()

    def _commit(self) -> None:
        """Commit, retrying while the cluster cannot take it; raises
        :class:`DeliveryStalledError` when the commit's flush delivers nothing for
        ``delivery_stall_seconds``."""
        producer = self.producer
        watch = self.delivery

        def stalled() -> bool:
            watch.check()  # raises DeliveryStalledError
            return False

        self._retry(
            lambda: producer.commit_transaction(CALL_TIMEOUT_SECONDS), "commit_transaction", stalled
        )

    def _already_published(self, item: ParsedTransaction, path: Path, report: FileReport) -> bool:
        """True (and reported) when the very same set was published before, from another file."""
        first_file = self.ledger.sets.get(item.fingerprint)
        if first_file is None:
            return False
        report.transactions_duplicate += 1
        report.add_problem(
            Problem(
                str(path),
                item.first_segment_no,
                f"transaction set {item.transaction} was already published from {first_file}:"
                " skipped as a duplicate",
                "warning",
                item.interchange,
                item.transaction,
                kind=DUPLICATE,
            )
        )
        return True

    def _produce(
        self, topic: str, value: bytes | None, key: bytes, headers: Headers | None = None
    ) -> None:
        while True:
            try:
                self.producer.produce(topic, value, key, headers=headers)
                break
            except BufferError:  # the queue is full: wait for deliveries, unless none come
                self.delivery.check()
                self.producer.poll(0.05)
        self.delivery.produced()
        self.producer.poll(0)

    def _dead_letter(self, problem: Problem, reason: str, digest: str, tally: Tally) -> None:
        record = dead_letter_for(problem, reason=reason, file_sha256=digest, now_ms=_now_ms())
        self._produce(
            self.topics.deadletter,
            self.codecs.dead_letter.encode(record),
            record["dead_letter_id"].encode(),
            record_headers(record),
        )
        tally.dead_letters[reason] += 1

    def _abort(self) -> None:
        try:
            producer = self.producer
            self._retry(
                lambda: producer.abort_transaction(CALL_TIMEOUT_SECONDS), "abort_transaction"
            )
        except KafkaException as exc:
            self._producer_spent = True
            log.error("abort_transaction failed: %s", exc)

    def _abandon(self) -> None:
        """Give up a transaction whose messages are not delivered: its queued messages are
        purged and nothing is committed; the next attempt's producer fences this one (which
        aborts the transaction) — no abort on this producer, it would wait for the same
        stuck messages."""
        stalled = self.producer
        self._producer_spent = True
        log.warning(
            "%d message(s) not delivered for %.0fs: the transaction is given up, a new producer"
            " takes over",
            len(stalled),
            self.settings.delivery_stall_seconds,
        )
        try:
            stalled.purge(in_queue=True, in_flight=True, blocking=False)
            stalled.poll(0)
        except (KafkaException, RuntimeError) as exc:  # purging is only tidying up
            log.warning("purging the stalled producer failed: %s", exc)

    def close(self) -> None:
        """Flush and release the producer."""
        self.producer.flush(10)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
