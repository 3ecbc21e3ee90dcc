"""Locations: the payee NPI of a remittance (N1*PE NM109), named through an optional mapping
file, and the bounded metric label made from it.

The mapping is a CSV file with a header line and the columns ``npi`` (10 digits), ``name`` (the
office, as reports and metric labels show it) and optionally ``tin`` (the office's tax id, 9
digits, ``12-3456789`` accepted); blank lines and lines starting with ``#`` are skipped. Several
NPIs may name one office. Every mistake is reported as ``FILE:LINE: message``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final

OTHER: Final = "other"  # the label of unmapped NPIs beyond the cap
UNKNOWN: Final = "unknown"  # no payee NPI on the remittance
_RESERVED: Final = frozenset({OTHER, UNKNOWN, "all"})
_NPI: Final = re.compile(r"\d{10}")
_TIN: Final = re.compile(r"\d{9}|\d{2}-\d{7}")
_MAX_NAME: Final = 64


class LocationFileError(ValueError):
    """The mapping file cannot be used; the message names the file and the line."""


@dataclass(frozen=True, slots=True)
class Location:
    """One mapped NPI: the office's name and, when given, its TIN (digits only)."""

    npi: str
    name: str
    tin: str | None = None


@dataclass(frozen=True, slots=True)
class LocationMap:
    """NPI → office, read from a mapping file (empty when there is none)."""

    by_npi: Mapping[str, Location] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def load(cls, path: Path | None) -> LocationMap:
        """Read and validate ``path``; no path, no mapping."""
        if path is None:
            return cls()
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise LocationFileError(f"{path}: cannot read the location mapping: {exc}") from None
        return cls(MappingProxyType(_parse(str(path), text)))

    def name(self, npi: str | None) -> str:
        """The office name of ``npi``, else the NPI itself (``unknown`` when there is none)."""
        if not npi:
            return UNKNOWN
        found = self.by_npi.get(npi)
        return found.name if found is not None else npi


def _parse(name: str, text: str) -> dict[str, Location]:
    lines = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise LocationFileError(f"{name}:1: expected a header line npi,name[,tin]")
    header_no, header = lines[0]
    columns = [c.strip().lower() for c in next(csv.reader([header]))]
    for needed in ("npi", "name"):
        if needed not in columns:
            raise LocationFileError(
                f"{name}:{header_no}: the header has no column {needed!r} (npi,name[,tin])"
            )
    unknown = [c for c in columns if c not in ("npi", "name", "tin")]
    if unknown:
        raise LocationFileError(f"{name}:{header_no}: unknown column {unknown[0]!r}")
    found: dict[str, Location] = {}
    first_line: dict[str, int] = {}
    for number, line in lines[1:]:
        cells = [c.strip() for c in next(csv.reader([line]))]
        if len(cells) != len(columns):
            raise LocationFileError(
                f"{name}:{number}: expected {len(columns)} columns, found {len(cells)}"
            )
        row = dict(zip(columns, cells, strict=True))
        location = _location(name, number, row)
        if location.npi in found:
            raise LocationFileError(
                f"{name}:{number}: NPI {location.npi} is already mapped on line"
                f" {first_line[location.npi]}"
            )
        found[location.npi] = location
        first_line[location.npi] = number
    return found


def _location(name: str, number: int, row: Mapping[str, str]) -> Location:
    npi, office, tin = row["npi"], row["name"], row.get("tin", "")
    if not _NPI.fullmatch(npi):
        raise LocationFileError(f"{name}:{number}: column npi: expected 10 digits, got {npi!r}")
    if not office:
        raise LocationFileError(f"{name}:{number}: column name: expected the office's name")
    if len(office) > _MAX_NAME or not office.isprintable():
        raise LocationFileError(
            f"{name}:{number}: column name: at most {_MAX_NAME} printable characters"
        )
    if office.lower() in _RESERVED:
        raise LocationFileError(
            f"{name}:{number}: column name: {office!r} is reserved ({', '.join(sorted(_RESERVED))})"
        )
    if tin and not _TIN.fullmatch(tin):
        raise LocationFileError(
            f"{name}:{number}: column tin: expected 9 digits (or NN-NNNNNNN), got {tin!r}"
        )
    return Location(npi, office, tin.replace("-", "") or None)


class LocationLabels:
    """The ``location`` label of the metrics: a mapped NPI's office name; an unmapped NPI's
    own number for the first ``cap`` of them, ``other`` beyond; ``unknown`` without an NPI.
    The set of values is bounded by the mapping plus ``cap`` plus two."""

    def __init__(self, locations: LocationMap, cap: int) -> None:
        if cap < 0:
            raise ValueError(f"the location label cap must be at least 0, got {cap}")
        self.locations = locations
        self.cap = cap
        self._unmapped: set[str] = set()

    def label(self, npi: str | None) -> str:
        """The label value for ``npi``."""
        if not npi:
            return UNKNOWN
        found = self.locations.by_npi.get(npi)
        if found is not None:
            return found.name
        if npi in self._unmapped:
            return npi
        if len(self._unmapped) < self.cap and _NPI.fullmatch(npi):
            self._unmapped.add(npi)
            return npi
        return OTHER
