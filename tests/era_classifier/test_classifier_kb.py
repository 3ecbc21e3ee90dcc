"""The shipped knowledge base: complete, consistent, and validated at load."""

from __future__ import annotations

import shutil
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from era_classifier.kb import (
    ACTIONS,
    CATEGORIES,
    KnowledgeBase,
    KnowledgeBaseError,
    load_knowledge_base,
)
from era_contract.vocabulary import GROUP_CODES as GROUPS

pytestmark = pytest.mark.unit

ALL_CODES = sorted(load_knowledge_base().carc)


def test_loads_once_and_caches(kb: KnowledgeBase) -> None:
    assert load_knowledge_base() is kb
    assert kb.version


def test_counts(kb: KnowledgeBase) -> None:
    assert len(kb.carc) == 407
    assert sum(e.deactivated for e in kb.carc.values()) == 110
    assert len(kb.rarc) == 1083
    assert {"WO", "L6", "72", "FB", "CS", "J1", "CV"} <= set(kb.plb)


@pytest.mark.parametrize("code", ALL_CODES)
def test_every_code_has_category_and_an_action_for_every_group(
    kb: KnowledgeBase, code: str
) -> None:
    entry = kb.carc[code]
    assert entry.category in CATEGORIES
    assert entry.category not in ("unknown", "provider_level")
    assert entry.description.strip()
    for group in GROUPS:
        assert entry.action_for(group) in ACTIONS
    assert entry.action_for("CO") != "bill_patient"
    assert entry.action_for("PI") != "bill_patient"
    for group in entry.invalid_groups:
        assert entry.action_for(group) == "review"


def test_new_and_deactivated_codes_are_present(kb: KnowledgeBase) -> None:
    for code in ("306", "307", "308", "P30", "P31", "P32"):
        assert kb.carc[code].status == "active"
    for code in ("15", "17", "42", "138", "165", "168", "A2", "B5", "D23", "W1", "Y3"):
        assert kb.carc[code].deactivated
    assert kb.carc["42"].stop_date == date(2007, 6, 1)
    assert kb.carc["W1"].stop_date == date(2014, 7, 1)
    assert kb.carc["15"].stop_date is None  # not found in public sources; never guessed


@pytest.mark.parametrize("code", ["45", "253", "59", "94", "131", "144", "237", "24", "44"])
def test_pure_pricing_reductions_write_off(kb: KnowledgeBase, code: str) -> None:
    assert kb.carc[code].action_for("CO") == "writeoff"


def test_sequestration_is_a_federal_reduction_not_a_coverage_denial(kb: KnowledgeBase) -> None:
    entry = kb.carc["253"]
    assert entry.category == "pricing"
    assert "PR" in entry.invalid_groups


def test_patient_codes_are_pr_only(kb: KnowledgeBase) -> None:
    for code in ("1", "2", "3", "66"):
        entry = kb.carc[code]
        assert entry.action_for("PR") == "bill_patient"
        assert {"CO", "OA", "PI"} <= entry.invalid_groups


def _copy_kb(tmp_path: Path) -> Path:
    source = resources.files("era_classifier.knowledge")
    for name in ("carc.csv", "rarc.csv", "plb.csv"):
        (tmp_path / name).write_text(source.joinpath(name).read_text("utf-8"), "utf-8")
    return tmp_path


def _edit_carc(directory: Path, code: str, column: str, value: str) -> None:
    path = directory / "carc.csv"
    lines = path.read_text("utf-8").splitlines()
    header = lines[0].split(",")
    index = header.index(column)
    for i, line in enumerate(lines):
        if line.startswith(f"{code},"):
            cells = line.split(",")
            cells[index] = value
            lines[i] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", "utf-8")


def test_a_copy_of_the_shipped_files_loads(tmp_path: Path) -> None:
    kb = load_knowledge_base(_copy_kb(tmp_path))
    assert len(kb.carc) == 407


@pytest.mark.parametrize(
    ("code", "column", "value", "message"),
    [
        ("2", "category", "", "carc.csv:3: column category"),
        ("4", "action_co", "", "carc.csv:5: column action_co"),
        ("4", "action_co", "bill_patient", "never billed to the patient"),
        ("4", "action_pi", "bill_patient", "never billed to the patient"),
        ("1", "action_co", "writeoff", "listed as invalid"),
        ("4", "appealable", "maybe", "column appealable"),
        ("42", "stop_date", "2007/06/01", "ISO date"),
        ("45", "stop_date", "2020-01-01", "needs status deactivated"),
    ],
)
def test_bad_rows_are_rejected_with_file_line_and_expectation(
    tmp_path: Path, code: str, column: str, value: str, message: str
) -> None:
    directory = _copy_kb(tmp_path)
    _edit_carc(directory, code, column, value)
    with pytest.raises(KnowledgeBaseError, match=message):
        load_knowledge_base(directory)


def test_duplicate_code_is_rejected(tmp_path: Path) -> None:
    directory = _copy_kb(tmp_path)
    path = directory / "carc.csv"
    lines = path.read_text("utf-8").splitlines()
    path.write_text("\n".join([*lines, lines[1]]) + "\n", "utf-8")
    with pytest.raises(KnowledgeBaseError, match="appears twice"):
        load_knowledge_base(directory)


def test_wrong_header_and_missing_file(tmp_path: Path) -> None:
    directory = _copy_kb(tmp_path)
    (directory / "plb.csv").write_text("code,text\nWO,x\n", "utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"plb\.csv:1: expected header"):
        load_knowledge_base(directory)
    empty = tmp_path / "empty"
    empty.mkdir()
    shutil.copy(directory / "carc.csv", empty / "carc.csv")
    with pytest.raises(KnowledgeBaseError, match=r"rarc\.csv: cannot read"):
        load_knowledge_base(empty)
