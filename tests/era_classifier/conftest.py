"""Fixtures for the classifier tests: the real knowledge base and Adjustment event builders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from era_classifier.classification import Classifier
from era_classifier.kb import KnowledgeBase, load_knowledge_base


def adjustment(group: str | None, carc: str, **fields: Any) -> dict[str, Any]:
    """A line-level CAS adjustment of a balanced claim, remitted 2026-03-02 by PAYER1."""
    event: dict[str, Any] = {
        "event_id": "0" * 32,
        "file": "remit.835",
        "implementation": "005010X221A1",
        "interchange": "000000001",
        "functional_group": "1",
        "transaction": "0001",
        "segment_no": 10,
        "payer_name": "EXAMPLE DENTAL",
        "payer_id": "PAYER1",
        "payee_name": "SMILE DSO",
        "payee_npi": "1234567893",
        "trace": "TRACE1",
        "remit_date": "2026-03-02",
        "claim_id": "CLM1",
        "claim_status": "1",
        "claim_charge": "500.00",
        "claim_paid": "300.00",
        "patient_responsibility": "50.00",
        "claim_filing_indicator": "12",
        "payer_claim_id": "PCN1",
        "level": "line",
        "line": 1,
        "procedure": "AD:D2740",
        "modifiers": [],
        "units": "1",
        "line_charge": "200.00",
        "line_paid": "120.00",
        "allowed_amount": None,
        "service_date": "2026-02-01",
        "group_code": group,
        "carc": carc,
        "amount": "30.00",
        "quantity": None,
        "rarcs": [],
        "plb_reference": None,
        "reversal": False,
        "balance_error": None,
    }
    event.update(fields)
    return event


def reversed_event(event: dict[str, Any]) -> dict[str, Any]:
    """The same adjustment as it appears on a CLP02=22 reversal: every amount negated."""
    out = dict(event)
    for key in (
        "claim_charge",
        "claim_paid",
        "patient_responsibility",
        "line_charge",
        "line_paid",
        "allowed_amount",
        "amount",
    ):
        value = out.get(key)
        if value is not None:
            out[key] = value[1:] if value.startswith("-") else "-" + value
    out["claim_status"] = "22"
    out["reversal"] = True
    return out


def provider_adjustment(code: str, amount: str = "125.00") -> dict[str, Any]:
    return adjustment(
        None,
        code,
        level="provider",
        line=None,
        claim_id=None,
        claim_status=None,
        procedure=None,
        line_charge=None,
        amount=amount,
        plb_reference="REF123",
    )


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="session")
def classifier(kb: KnowledgeBase) -> Classifier:
    return Classifier(kb)


@pytest.fixture(scope="session")
def adj() -> Callable[..., dict[str, Any]]:
    return adjustment


@pytest.fixture(scope="session")
def reverse() -> Callable[[dict[str, Any]], dict[str, Any]]:
    return reversed_event


@pytest.fixture(scope="session")
def plb() -> Callable[..., dict[str, Any]]:
    return provider_adjustment
