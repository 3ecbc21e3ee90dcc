"""The parser's value types: Problem, Delimiters and ParsedTransaction (plain classes)."""

from __future__ import annotations

import pickle
from types import SimpleNamespace

import pytest

from era_ingest.x12 import ParsedTransaction, Problem
from era_ingest.x12.headers import Delimiters, read_isa_header

pytestmark = pytest.mark.unit


def test_problem_is_an_immutable_value() -> None:
    problem = Problem("a.835", 3, "expected SE", transaction="0001", rejected=True)
    same = Problem("a.835", 3, "expected SE", "error", None, "0001", True)
    assert problem == same and hash(problem) == hash(same)
    assert problem != Problem("a.835", 3, "expected SE")
    assert (problem.severity, problem.interchange, problem.rejected) == ("error", None, True)
    assert str(problem) == "a.835:3: expected SE"
    assert repr(problem) == (
        "Problem(file='a.835', segment_no=3, message='expected SE', severity='error', "
        "interchange=None, transaction='0001', rejected=True, kind=None)"
    )
    with pytest.raises(AttributeError):
        problem.message = "other"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(problem)) == problem


def test_delimiters_compare_by_value() -> None:
    found = read_isa_header(
        "ISA*00*          *00*          *ZZ*S              *ZZ*R              *240105*1200*^*"
        "00501*000000001*0*P*:~"
    )
    assert found is not None
    assert found[0] == Delimiters("*", ":", "~", "^")
    assert found[0] != Delimiters("*", ":", "~", None)


def test_parsed_transaction_builds_its_dicts_once(x12: SimpleNamespace) -> None:
    parsed = x12.parse(x12.interchange())
    (txn,) = [item for item in parsed if isinstance(item, ParsedTransaction)]
    assert txn.adjustment_count == 3  # without building the dicts
    assert txn.adjustments is txn.adjustments
    assert txn.adjustment_count == len(txn.adjustments) == 3
    assert txn == x12.parse(x12.interchange())[0]
    assert "adjustments=3" in repr(txn)
