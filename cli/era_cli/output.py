"""Plain-text tables for people reading a terminal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from era_ingest.x12.startup import TextIO  # no typing import at start-up


class TableWriter:
    """Collects rows, then writes them as aligned columns (each cell cut to ``max_width``)."""

    def __init__(self, columns: Sequence[str], *, max_width: int = 40) -> None:
        self.columns = tuple(columns)
        self.max_width = max_width
        self.rows: list[tuple[str, ...]] = []

    def add(self, row: Mapping[str, object]) -> None:
        """Add one row; missing columns print as empty cells."""
        self.rows.append(tuple(self._cell(row.get(column)) for column in self.columns))

    def _cell(self, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, list | tuple):
            text = ",".join(str(item) for item in value)
        else:
            text = str(value)
        return text if len(text) <= self.max_width else text[: self.max_width - 1] + "…"

    def write(self, out: TextIO) -> None:
        """Write the header, a rule and every row."""
        widths = [len(column) for column in self.columns]
        for row in self.rows:
            widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
        lines = [self.columns, tuple("-" * width for width in widths), *self.rows]
        for line in lines:
            out.write("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)))
            out.write("\n")
