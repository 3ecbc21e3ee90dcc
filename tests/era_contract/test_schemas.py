"""Schema catalog, fingerprints and the evolution rule (new fields only, each with a default)."""

from __future__ import annotations

import io
from typing import Any

import fastavro
import pytest

from era_contract.schemas import (
    ADJUSTMENT,
    CLAIM,
    CLASSIFIED_ADJUSTMENT,
    DEAD_LETTER,
    REMITTANCE,
    SchemaNotFoundError,
    crc64_avro,
    default_catalog,
)

pytestmark = pytest.mark.unit

CATALOG = default_catalog()


def test_current_schemas_are_the_five_events() -> None:
    assert set(CATALOG.current) == {
        ADJUSTMENT,
        CLASSIFIED_ADJUSTMENT,
        DEAD_LETTER,
        CLAIM,
        REMITTANCE,
    }


def test_crc64_matches_the_avro_spec_and_fastavro() -> None:
    # The Avro spec's fingerprint of the schema "int" (canonical form "int").
    assert crc64_avro(b'"int"').to_bytes(8, "little").hex() == fastavro.schema.fingerprint(
        '"int"', "CRC-64-AVRO"
    )
    for schema in CATALOG.current.values():
        expected = fastavro.schema.fingerprint(schema.canonical_form, "CRC-64-AVRO")
        assert schema.fingerprint_bytes.hex() == expected


def test_unknown_fingerprint_is_a_clear_error() -> None:
    with pytest.raises(SchemaNotFoundError, match="0000000000000001"):
        CATALOG.writer_schema(1)


def test_there_is_at_least_one_release_to_compare_against() -> None:
    assert CATALOG.releases, "schemas/releases/ must hold the released contracts"


def _releases() -> list[tuple[str, str]]:
    return [(version, name) for version, schemas in CATALOG.releases.items() for name in schemas]


@pytest.mark.parametrize(("version", "name"), _releases())
def test_evolution_only_adds_fields_with_defaults(version: str, name: str) -> None:
    old = CATALOG.releases[version][name]
    new = CATALOG.get(name)
    old_fields = {f["name"]: f for f in old.definition["fields"]}
    new_fields = {f["name"]: f for f in new.definition["fields"]}
    removed = set(old_fields) - set(new_fields)
    assert not removed, f"{name}: fields removed since {version}: {sorted(removed)}"
    for field_name, field in old_fields.items():
        assert new_fields[field_name]["type"] == field["type"], (
            f"{name}.{field_name} changed type since {version}"
        )
    for field_name in set(new_fields) - set(old_fields):
        assert "default" in new_fields[field_name], (
            f"{name}.{field_name} was added after {version} without a default"
        )


def _minimal_record(definition: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in definition["fields"]:
        if "default" in field:
            continue
        values[field["name"]] = {"string": "x", "int": 1, "long": 1, "boolean": False}[
            field["type"]
        ]
    return values


@pytest.mark.parametrize(("version", "name"), _releases())
def test_records_written_by_a_release_read_with_the_current_schema(version: str, name: str) -> None:
    old = CATALOG.releases[version][name]
    new = CATALOG.get(name)
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, old.parsed, _minimal_record(old.definition))
    buffer.seek(0)
    record = fastavro.schemaless_reader(buffer, old.parsed, new.parsed)
    assert set(record) == set(new.field_names)
    # and the other way round: a reader still on the release reads current records
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, new.parsed, _minimal_record(new.definition))
    buffer.seek(0)
    assert set(fastavro.schemaless_reader(buffer, new.parsed, old.parsed)) == set(old.field_names)


def test_money_fields_are_marked_decimal_strings() -> None:
    adjustment = CATALOG.get(ADJUSTMENT).definition
    money = {f["name"] for f in adjustment["fields"] if f.get("era.type") == "decimal"}
    assert {"amount", "claim_charge", "claim_paid", "line_charge", "allowed_amount"} <= money
    for field in adjustment["fields"]:
        if field["name"] in money:
            assert field["type"] in ("string", ["null", "string"])


def _decimal_fields(fields: list[dict[str, Any]], prefix: str = "") -> set[str]:
    found: set[str] = set()
    for field in fields:
        kind = field["type"]
        if isinstance(kind, dict) and isinstance(kind["items"], dict):
            found |= _decimal_fields(kind["items"]["fields"], f"{prefix}{field['name']}.")
        elif field.get("era.type") == "decimal":
            assert kind in ("string", ["null", "string"]), field["name"]
            found.add(prefix + field["name"])
    return found


def test_claim_and_remittance_money_is_marked_decimal_strings() -> None:
    claim = _decimal_fields(CATALOG.get(CLAIM).definition["fields"])
    assert {"charge", "paid", "patient_responsibility", "lines.charge", "lines.paid"} <= claim
    assert {"lines.allowed", "lines.units", "amounts.amount"} <= claim
    remittance = _decimal_fields(CATALOG.get(REMITTANCE).definition["fields"])
    assert {"total_paid", "claims_paid", "provider_adjustments"} <= remittance
    assert "provider_adjustment_items.amount" in remittance
