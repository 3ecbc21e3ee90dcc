"""The vocabulary module is the one source of the pipeline's names: the places that used to
spell them again now agree with it, and its names agree with the Avro contract."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest

from era_contract import vocabulary as v
from era_contract.models import MODEL_BY_SCHEMA, Route
from era_contract.schemas import default_catalog
from era_contract.topics import TopicNames

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def test_the_route_literal_of_the_models_is_the_route_list() -> None:
    assert get_args(Route) == v.ROUTES


def test_every_schema_name_is_a_current_schema_with_a_model() -> None:
    names = {v.ADJUSTMENT, v.CLASSIFIED_ADJUSTMENT, v.DEAD_LETTER, v.CLAIM, v.REMITTANCE}
    assert names == set(default_catalog().current) == set(MODEL_BY_SCHEMA)


def test_topic_names_are_built_from_the_base_names() -> None:
    names = TopicNames("x")
    assert names.adjustments == f"x.{v.ADJUSTMENTS_TOPIC}"
    assert names.classified == f"x.{v.CLASSIFIED_TOPIC}"
    assert names.deadletter == f"x.{v.DEADLETTER_TOPIC}"
    assert names.ingest_ledger == f"x.{v.INGEST_LEDGER_TOPIC}"
    assert list(names.routes) == list(v.ROUTES)
    assert names.routes[v.PATIENT_STATEMENTS] == "x.route.patient-statements"
    with pytest.raises(ValueError, match="unknown route"):
        names.route("nowhere")


def test_the_forbidden_and_no_patient_sets_use_known_names() -> None:
    assert set(v.ROUTES) > v.PREDETERMINATION_FORBIDDEN_ROUTES
    assert v.NO_PATIENT_GROUPS < set(v.TABLE_GROUP_CODES) < set(v.GROUP_CODES)


def _assigned_literals(path: Path) -> list[str]:
    """Module-level assignments in ``path`` whose value spells a route list or a group set
    (typing ``Literal``s aside: the models' one is compared with the route list above)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            value = node.value
            if isinstance(value, ast.Subscript) and getattr(value.value, "id", "") == "Literal":
                continue  # a typing Literal must spell its values (checked above)
            strings = {
                n.value
                for n in ast.walk(node.value)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            }
            if {"writeoff", "appeals", "review"} <= strings or strings == {"CO", "PI"}:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_module_defines_the_routes_or_group_sets_again() -> None:
    sources = [
        path
        for folder in ("lib", "services", "cli")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path.name != "vocabulary.py"
    ]
    assert [where for path in sources for where in _assigned_literals(path)] == []
