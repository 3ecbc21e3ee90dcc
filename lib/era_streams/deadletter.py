"""The one dead-letter shape on ``era.deadletter``, built without Kafka.

Every record there is an ``era.events.DeadLetter`` (schemas/dead_letter.avsc) with the
``era.dlt.*`` headers of the Kafka Connect / Spring DLT convention. A worker's dead letter keeps
the failed record byte for byte: its value in ``payload``, its key in ``source_key`` and as the
record's own key (so it lands in the partition of its claim), where it came from in
``source_topic``/``source_partition``/``source_offset``. Ingest's names the file, segment and
transaction set instead (``era_ingest.records.dead_letter_for``).
"""

from __future__ import annotations

from hashlib import sha256
from typing import Any

HEADER_PREFIX = "era.dlt."
MAX_MESSAGE_BYTES = 2000

Headers = list[tuple[str, str | bytes | None]]


def dead_letter_headers(
    *,
    service: str,
    topic: str | None,
    partition: int | None,
    offset: int | None,
    error_class: str,
    error_message: str,
) -> Headers:
    """Headers that say where a dead-lettered record came from and why it failed:
    ``era.dlt.source.topic``, ``.source.partition``, ``.source.offset``, ``.exception.class``,
    ``.exception.message`` (cut to 2,000 bytes) and ``.service``. A source the record did not
    come from (ingest reads files, not topics) is an empty value."""
    message = cut_message(error_message).encode("utf-8", "replace")
    return [
        (f"{HEADER_PREFIX}source.topic", (topic or "").encode()),
        (f"{HEADER_PREFIX}source.partition", b"" if partition is None else str(partition).encode()),
        (f"{HEADER_PREFIX}source.offset", b"" if offset is None else str(offset).encode()),
        (f"{HEADER_PREFIX}exception.class", error_class.encode()),
        (f"{HEADER_PREFIX}exception.message", message),
        (f"{HEADER_PREFIX}service", service.encode()),
    ]


def worker_dead_letter(
    *,
    service: str,
    reason: str,
    error: BaseException,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    now_ms: int,
) -> dict[str, Any]:
    """The DeadLetter record of a record a worker could not process. Its id is the same each
    time the same source record is dead-lettered (a retry after an aborted transaction)."""
    ident = f"{service}\x1f{topic}\x1f{partition}\x1f{offset}"
    return {
        "dead_letter_id": sha256(ident.encode()).hexdigest()[:32],
        "service": service,
        "reason": reason,
        "error_class": type(error).__name__,
        "error_message": cut_message(str(error) or type(error).__name__),
        "file": None,
        "segment_no": None,
        "interchange": None,
        "transaction": None,
        "source_topic": topic,
        "source_partition": partition,
        "source_offset": offset,
        "payload": value,
        "occurred_at": now_ms,
        "source_key": key,
    }


def record_headers(record: dict[str, Any]) -> Headers:
    """The ``era.dlt.*`` headers of a DeadLetter record (same content, Connect tooling reads
    these)."""
    return dead_letter_headers(
        service=record["service"],
        topic=record["source_topic"],
        partition=record["source_partition"],
        offset=record["source_offset"],
        error_class=record["error_class"],
        error_message=record["error_message"],
    )


def cut_message(text: str) -> str:
    """``text`` cut to at most :data:`MAX_MESSAGE_BYTES` of UTF-8 (never inside a character)."""
    return text.encode("utf-8", "replace")[:MAX_MESSAGE_BYTES].decode("utf-8", "ignore")
