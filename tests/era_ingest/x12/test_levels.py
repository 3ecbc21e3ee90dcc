"""The level rules written inline for speed (levels.LINE_LEVEL) agree with the functions the
Claim events use for the same rules."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from era_ingest.x12.levels import (
    LINE_LEVEL,
    RULE_NAMES,
    line_service_date,
    split_procedure,
    submitted_procedure,
)

pytestmark = pytest.mark.unit


def _rule(name: str, claim: object, line: object) -> object:
    return eval(LINE_LEVEL[name], {**RULE_NAMES}, {"claim": claim, "line": line})


def test_the_service_date_rule_is_line_service_date() -> None:
    dates = (None, "2024-01-02")
    for own, start, of_claim in itertools.product(
        dates, (None, "2024-01-03"), (None, "2024-01-04")
    ):
        line = SimpleNamespace(date=own, date_150=start)
        claim = SimpleNamespace(date=of_claim)
        assert _rule("service_date", claim, line) == line_service_date(claim, line)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (None, (None, [])),
        ([], (None, [])),
        (["D2740"], ("D2740", [])),
        (["AD", "D2740"], ("AD:D2740", [])),
        (["AD", "D2740", "TH", "", "LT"], ("AD:D2740", ["TH", "LT"])),
        (["AD", ""], ("AD", [])),
    ],
)
def test_the_submitted_procedure_rule_is_split_procedure(
    parts: list[str] | None, expected: tuple[str | None, list[str]]
) -> None:
    assert split_procedure(parts) == expected
    line = SimpleNamespace(submitted=parts)
    assert _rule("submitted_procedure", SimpleNamespace(), line) == expected[0]
    assert submitted_procedure(line) == expected[0]  # type: ignore[arg-type]
