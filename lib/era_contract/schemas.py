"""The Avro schemas in ``schemas/``: loading, canonical forms and fingerprints.

``schemas/*.avsc`` are the current contract; ``schemas/releases/<version>/*.avsc`` are frozen
copies of every released contract. Readers resolve any released writer schema to the current
reader schema, which is what lets old records stay readable after the contract evolves (new
fields only, each with a default).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import fastavro

from era_contract import vocabulary

ADJUSTMENT = vocabulary.ADJUSTMENT
CLASSIFIED_ADJUSTMENT = vocabulary.CLASSIFIED_ADJUSTMENT
DEAD_LETTER = vocabulary.DEAD_LETTER
CLAIM = vocabulary.CLAIM
REMITTANCE = vocabulary.REMITTANCE

SCHEMAS_ENV = "ERA_SCHEMAS_DIR"


_CRC64_EMPTY = 0xC15D213AA4D7A795


def _crc64_table() -> list[int]:
    table = []
    for byte in range(256):
        fp = byte
        for _ in range(8):
            fp = (fp >> 1) ^ (_CRC64_EMPTY & -(fp & 1))
        table.append(fp)
    return table


_CRC64_TABLE = _crc64_table()


def crc64_avro(data: bytes) -> int:
    """The Avro specification's CRC-64-AVRO (Rabin) fingerprint of ``data``."""
    fp = _CRC64_EMPTY
    for byte in data:
        fp = (fp >> 8) ^ _CRC64_TABLE[(fp ^ byte) & 0xFF]
    return fp


class SchemaNotFoundError(LookupError):
    """No schema with the requested name or fingerprint is known."""


@dataclass(frozen=True, slots=True)
class AvroSchema:
    """One Avro record schema with everything the codec needs, computed once."""

    name: str
    version: str
    definition: dict[str, Any]
    parsed: Any
    canonical_form: str
    fingerprint: int

    @property
    def fingerprint_bytes(self) -> bytes:
        """The fingerprint as single-object encoding writes it (8 bytes, little-endian)."""
        return self.fingerprint.to_bytes(8, "little")

    @property
    def field_names(self) -> tuple[str, ...]:
        """Names of the record's fields, in schema order."""
        return tuple(field["name"] for field in self.definition["fields"])


def schemas_dir() -> Path:
    """The schemas: ``$ERA_SCHEMAS_DIR`` if set, else the package data ``era_contract/schemas``
    (in a checkout a link to the top-level ``schemas/``; in a wheel a copy of it)."""
    configured = os.environ.get(SCHEMAS_ENV)
    if configured:
        return Path(configured)
    packaged = Path(str(resources.files("era_contract") / "schemas"))
    if not (packaged / "adjustment.avsc").is_file():
        raise SchemaNotFoundError(f"no schemas in {packaged}; set {SCHEMAS_ENV}")
    return packaged


def _load(path: Path, version: str) -> AvroSchema:
    definition = json.loads(path.read_text(encoding="utf-8"))
    parsed = fastavro.parse_schema(definition)
    canonical = fastavro.schema.to_parsing_canonical_form(parsed)
    name = f"{definition.get('namespace', '')}.{definition['name']}".lstrip(".")
    return AvroSchema(
        name=name,
        version=version,
        definition=definition,
        parsed=parsed,
        canonical_form=canonical,
        fingerprint=crc64_avro(canonical.encode("utf-8")),
    )


@dataclass(frozen=True, slots=True)
class SchemaCatalog:
    """The current schemas by full name, and every known schema (current and released) by
    fingerprint."""

    current: dict[str, AvroSchema]
    by_fingerprint: dict[int, AvroSchema]
    releases: dict[str, dict[str, AvroSchema]]

    def get(self, name: str) -> AvroSchema:
        """The current schema named ``name`` (e.g. ``era.events.Adjustment``)."""
        try:
            return self.current[name]
        except KeyError:
            raise SchemaNotFoundError(f"no schema named {name!r} in {schemas_dir()}") from None

    def writer_schema(self, fingerprint: int) -> AvroSchema:
        """The schema (current or released) whose fingerprint is ``fingerprint``."""
        try:
            return self.by_fingerprint[fingerprint]
        except KeyError:
            raise SchemaNotFoundError(
                f"no known schema has fingerprint {fingerprint:016x}"
            ) from None


def load_catalog(directory: Path | None = None) -> SchemaCatalog:
    """Load ``directory`` (default :func:`schemas_dir`) into a :class:`SchemaCatalog`."""
    root = directory or schemas_dir()
    current = {s.name: s for s in (_load(p, "current") for p in sorted(root.glob("*.avsc")))}
    releases: dict[str, dict[str, AvroSchema]] = {}
    releases_dir = root / "releases"
    if releases_dir.is_dir():
        for release in sorted(p for p in releases_dir.iterdir() if p.is_dir()):
            loaded = (_load(p, release.name) for p in sorted(release.glob("*.avsc")))
            releases[release.name] = {s.name: s for s in loaded}
    by_fingerprint: dict[int, AvroSchema] = {}
    for schemas in [*releases.values(), current]:
        for schema in schemas.values():
            by_fingerprint[schema.fingerprint] = schema
    return SchemaCatalog(current=current, by_fingerprint=by_fingerprint, releases=releases)


@cache
def default_catalog() -> SchemaCatalog:
    """The catalog of the project's ``schemas/`` directory, loaded once per process."""
    return load_catalog()
