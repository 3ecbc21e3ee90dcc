"""Schema Registry conventions: subject names and how a producer obtains its schema id.

They follow Confluent's serializers, so a registry shared with other Kafka clients holds the era
schemas where those clients look for them:

* **Subject name strategy.** ``topic`` (Confluent's default ``TopicNameStrategy``): the subject
  of a topic's values is ``<topic>-value``, e.g. ``era.adjustments-value``. ``record``
  (``RecordNameStrategy``): the record's full name, e.g. ``era.events.Adjustment``, one subject
  for every topic carrying the record. ``topic_record`` (``TopicRecordNameStrategy``):
  ``<topic>-<record full name>``.
* **auto.register.schemas** (default on): the producer registers its schema under the subject
  and writes the id it gets. Off: it looks the schema up under the subject and fails with a
  message naming the subject when the schema is not registered there.
* **use.latest.version** (default off): the producer writes with the subject's latest
  registered version (which must be a version of the same record), not its own schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SubjectNameStrategy(StrEnum):
    """How the subject of a topic's values is named (Confluent's three strategies)."""

    TOPIC = "topic"
    RECORD = "record"
    TOPIC_RECORD = "topic_record"

    @classmethod
    def parse(cls, value: str) -> SubjectNameStrategy:
        """``topic``/``record``/``topic_record``, or Confluent's class names
        (``TopicNameStrategy``, ``io.confluent...RecordNameStrategy``), any case."""
        text = value.strip().rsplit(".", 1)[-1].lower().replace("-", "_")
        aliases = {
            "topicnamestrategy": cls.TOPIC,
            "recordnamestrategy": cls.RECORD,
            "topicrecordnamestrategy": cls.TOPIC_RECORD,
        }
        if text in aliases:
            return aliases[text]
        try:
            return cls(text)
        except ValueError:
            choices = ", ".join(member.value for member in cls)
            raise ValueError(
                f"unknown subject name strategy {value!r}; expected one of {choices}"
                " (or TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy)"
            ) from None

    @property
    def needs_topic(self) -> bool:
        """Whether the subject depends on the topic."""
        return self is not SubjectNameStrategy.RECORD


def subject_name(strategy: SubjectNameStrategy, record_name: str, topic: str | None) -> str:
    """The subject under which values of ``record_name`` on ``topic`` are registered."""
    if strategy is SubjectNameStrategy.RECORD:
        return record_name
    if not topic:
        raise ValueError(f"the {strategy.value} subject name strategy needs the topic")
    if strategy is SubjectNameStrategy.TOPIC:
        return f"{topic}-value"
    return f"{topic}-{record_name}"


@dataclass(frozen=True, slots=True)
class RegistryPolicy:
    """How a producer names subjects and obtains the schema id it writes."""

    subject_name_strategy: SubjectNameStrategy = SubjectNameStrategy.TOPIC
    auto_register_schemas: bool = True
    use_latest_version: bool = False

    def subject(self, record_name: str, topic: str | None) -> str:
        """The subject of ``record_name`` values on ``topic`` under this policy."""
        return subject_name(self.subject_name_strategy, record_name, topic)
