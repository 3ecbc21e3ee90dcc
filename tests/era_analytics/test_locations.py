"""The NPI → office mapping file (every mistake named by file and line) and the bounded
``location`` label."""

from __future__ import annotations

from pathlib import Path

import pytest

from era_analytics.locations import OTHER, UNKNOWN, LocationFileError, LocationLabels, LocationMap

pytestmark = pytest.mark.unit

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "denials" / "locations.csv"


def test_the_fixture_maps_two_offices() -> None:
    mapping = LocationMap.load(FIXTURE)
    assert mapping.name("1111111111") == "North Office"
    assert mapping.by_npi["1111111111"].tin == "123456789"
    assert mapping.name("2222222222") == "South Office"
    assert mapping.name("3333333333") == "3333333333"
    assert mapping.name(None) == UNKNOWN


def test_no_file_no_mapping() -> None:
    assert LocationMap.load(None).by_npi == {}


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("", ":1:", "header"),
        ("npi,office\n", ":1:", "'name'"),
        ("npi,name,tin,extra\n", ":1:", "unknown column 'extra'"),
        ("npi,name\n123,North\n", ":2:", "10 digits"),
        ("npi,name\n# comment\n\n1111111111,\n", ":4:", "office's name"),
        ("npi,name\n1111111111,other\n", ":2:", "reserved"),
        ("npi,name,tin\n1111111111,North,12345\n", ":2:", "column tin"),
        ("npi,name\n1111111111,North,x\n", ":2:", "expected 2 columns"),
        ("npi,name\n1111111111,North\n1111111111,South\n", ":3:", "already mapped on line 2"),
    ],
)
def test_mistakes_name_file_and_line(tmp_path: Path, text: str, where: str, message: str) -> None:
    path = tmp_path / "locations.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LocationFileError) as caught:
        LocationMap.load(path)
    assert f"{path}{where}" in str(caught.value)
    assert message in str(caught.value)


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(LocationFileError, match=r"missing\.csv"):
        LocationMap.load(tmp_path / "missing.csv")


def test_unmapped_npis_beyond_the_cap_collapse_to_other() -> None:
    labels = LocationLabels(LocationMap.load(FIXTURE), cap=2)
    assert labels.label("1111111111") == "North Office"
    assert labels.label("4000000001") == "4000000001"
    assert labels.label("4000000002") == "4000000002"
    assert labels.label("4000000003") == OTHER
    assert labels.label("4000000001") == "4000000001"  # a known one keeps its value
    assert labels.label("2222222222") == "South Office"  # mapped ones never count
    assert labels.label("not-an-npi") == OTHER  # garbage mints no value
    assert labels.label(None) == UNKNOWN


def test_a_zero_cap_keeps_only_the_mapped_names() -> None:
    labels = LocationLabels(LocationMap.load(FIXTURE), cap=0)
    assert labels.label("4000000001") == OTHER
    with pytest.raises(ValueError, match="cap"):
        LocationLabels(LocationMap(), cap=-1)
