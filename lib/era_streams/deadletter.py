"""Dead-letter headers (the Kafka Connect / Spring DLT convention), built without Kafka."""

from __future__ import annotations

HEADER_PREFIX = "era.dlt."
MAX_MESSAGE_BYTES = 2000


def dead_letter_headers(
    *,
    service: str,
    topic: str | None,
    partition: int | None,
    offset: int | None,
    error: BaseException,
) -> list[tuple[str, str | bytes | None]]:
    """Headers that say where a dead-lettered record came from and why it failed.

    The record's key and value travel untouched; these headers carry the context:
    ``era.dlt.source.topic``, ``.source.partition``, ``.source.offset``, ``.exception.class``,
    ``.exception.message`` (cut to 2,000 bytes) and ``.service``.
    """
    message = str(error).encode("utf-8", "replace")[:MAX_MESSAGE_BYTES]
    return [
        (f"{HEADER_PREFIX}source.topic", (topic or "").encode()),
        (f"{HEADER_PREFIX}source.partition", str(partition).encode()),
        (f"{HEADER_PREFIX}source.offset", str(offset).encode()),
        (f"{HEADER_PREFIX}exception.class", type(error).__name__.encode()),
        (f"{HEADER_PREFIX}exception.message", message),
        (f"{HEADER_PREFIX}service", service.encode()),
    ]
