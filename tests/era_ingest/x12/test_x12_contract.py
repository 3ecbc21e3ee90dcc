"""The parser's adjustments are the Avro contract: same fields, same order, same types.

A misspelt key in the parser, a field added to ``schemas/adjustment.avsc`` but not to the
parser (or the other way round), or a JSON writer that treats a number as a string fails here.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from era_contract.schemas import ADJUSTMENT, default_catalog
from era_ingest.x12 import ADJUSTMENT_FIELDS, ParsedTransaction, parse_path
from era_ingest.x12.adjustments import PER_ADJUSTMENT, claim_templates
from era_ingest.x12.jsonl import NOT_STRINGS
from era_ingest.x12.levels import CLAIM_LEVEL, LEVEL_FIELDS, LINE_LEVEL, MODIFIERS, RARCS
from era_ingest.x12.loops import CLAIM_FIELDS, Claim

pytestmark = pytest.mark.unit

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "era-samples"
AVRO_KINDS = {"int": "int", "long": "int", "boolean": "bool", "string": "str"}


def _kind(avro_type: Any) -> str:
    """The JSON writer kind of an Avro field type (a union with null counts as its branch)."""
    if isinstance(avro_type, list):
        (branch,) = [t for t in avro_type if t != "null"]
        return _kind(branch)
    if isinstance(avro_type, dict):
        if avro_type["type"] == "array":
            assert avro_type["items"] == "string"
            return "strings"
        return _kind(avro_type["type"])
    return AVRO_KINDS[avro_type]


def test_the_parser_field_list_is_the_avro_schema_in_order() -> None:
    schema = default_catalog().get(ADJUSTMENT)
    assert schema.field_names == ADJUSTMENT_FIELDS


def test_the_json_writers_know_every_field_that_is_not_a_string() -> None:
    schema = default_catalog().get(ADJUSTMENT)
    kinds = {field["name"]: _kind(field["type"]) for field in schema.definition["fields"]}
    expected = {
        name: kind for name, kind in kinds.items() if kind != "str" and name not in PER_ADJUSTMENT
    }
    assert expected == NOT_STRINGS
    assert set(LEVEL_FIELDS) <= set(ADJUSTMENT_FIELDS)
    assert not set(LEVEL_FIELDS) & set(PER_ADJUSTMENT)


def _claims() -> list[tuple[dict[str, object], Claim, str | None]]:
    found = []
    for sample in sorted(SAMPLES.iterdir()):
        if sample.suffix == ".md":
            continue
        for item in parse_path(sample):
            if isinstance(item, ParsedTransaction) and item._compact is not None:
                compact = item._compact
                for header, source in compact.records:
                    if isinstance(source, Claim):
                        found.append((header, source, compact.balance_error))
    return found


def test_every_claim_and_level_sets_exactly_its_fields() -> None:
    claims = _claims()
    assert len(claims) > 50
    for header, claim, error in claims:
        assert set(claim.fields) == set(CLAIM_FIELDS)  # what the JSON writers read from it
        base, levels = claim_templates(header, claim, error)
        assert tuple(base) == ADJUSTMENT_FIELDS
        assert all(base[name] is None for name in PER_ADJUSTMENT)
        for values, cas in levels:
            assert len(values) == len(LEVEL_FIELDS)
            assert cas and isinstance(values[MODIFIERS], list) and isinstance(values[RARCS], list)


def test_the_level_rules_cover_the_level_fields_in_schema_order() -> None:
    # both consumers (claim_levels and the JSON writer) are generated from these two tables
    assert tuple(CLAIM_LEVEL) == tuple(LINE_LEVEL) == LEVEL_FIELDS
    positions = [ADJUSTMENT_FIELDS.index(name) for name in LEVEL_FIELDS]
    assert positions == sorted(positions)
    assert LEVEL_FIELDS[MODIFIERS] == "modifiers" and LEVEL_FIELDS[RARCS] == "rarcs"


def test_a_misspelt_key_in_the_builder_fails(
    monkeypatch: pytest.MonkeyPatch, x12: SimpleNamespace
) -> None:
    # what the samples, fuzz and jsonl tests catch: a claim field written under a wrong name
    from era_ingest.x12 import claims as claims_module
    from era_ingest.x12 import remittance

    original = claims_module.ClaimLoops.clp

    def misspelt(self: Any, segment_no: int, el: list[str]) -> None:
        original(self, segment_no, el)
        assert self.claim is not None
        self.claim.fields["membr_id"] = self.claim.fields.pop("member_id")

    monkeypatch.setitem(remittance.HANDLERS, "CLP", misspelt)
    (txn,) = [t for t in x12.parse(x12.interchange()) if isinstance(t, ParsedTransaction)]
    lines = txn.json_lines()
    assert tuple(txn.adjustments[0]) != ADJUSTMENT_FIELDS  # what test_x12_samples checks
    encode = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode
    assert lines != [encode(a) for a in txn.adjustments]  # what test_x12_jsonl checks


def test_json_lines_decode_to_the_schema_fields() -> None:
    parsed = [t for t in parse_path(SAMPLES / "lfh_demo.835") if isinstance(t, ParsedTransaction)]
    lines = parsed[0].json_lines()
    assert lines
    for line in lines:
        assert tuple(json.loads(line)) == ADJUSTMENT_FIELDS
