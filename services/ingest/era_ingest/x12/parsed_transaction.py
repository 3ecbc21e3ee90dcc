"""What the parser yields for each accepted 835 transaction set."""

from __future__ import annotations

from .adjustments import CompactAdjustments
from .jsonl import encode, json_lines
from .loops import Adjustment
from .problems import Problem
from .summary import SetSummary


class ParsedTransaction:
    """One 835 transaction set (ST..SE) that was not rejected.

    ``adjustments`` are plain dicts with the Adjustment fields of docs/events.md (``ingested_at``
    left ``None``), built on first access; :meth:`json_lines` gives their JSON without building
    them. ``problems`` are the warnings (balance errors, odd dates, unknown segments) that did
    not reject the set. ``payer_id`` and ``claim_statuses`` (CLP02 value → number of claims,
    counting claims without adjustments too) feed the per-payer denial rate. ``fingerprint``
    hashes the set's event ids (which cover its control numbers and content), so a set sent
    again, in this file or another, is recognised.
    """

    __slots__ = (
        "_adjustments",
        "_claims",
        "_compact",
        "_remittance",
        "_summary",
        "claim_statuses",
        "file",
        "fingerprint",
        "first_segment_no",
        "functional_group",
        "interchange",
        "payer_id",
        "problems",
        "transaction",
    )

    def __init__(
        self,
        *,
        file: str,
        interchange: str,
        functional_group: str,
        transaction: str,
        first_segment_no: int,
        adjustments: CompactAdjustments,
        problems: list[Problem],
        payer_id: str | None,
        claim_statuses: dict[str, int],
        fingerprint: str,
        summary: SetSummary | None = None,
    ) -> None:
        self.file = file
        self.interchange = interchange
        self.functional_group = functional_group
        self.transaction = transaction
        self.first_segment_no = first_segment_no
        self._compact: CompactAdjustments | None = adjustments
        self._adjustments: list[Adjustment] = []  # built from the compact form when asked
        self.problems = problems
        self.payer_id = payer_id
        self.claim_statuses = claim_statuses
        self.fingerprint = fingerprint
        self._summary = summary
        self._claims: list[dict[str, object]] | None = None
        self._remittance: dict[str, object] | None = None

    @property
    def claims(self) -> list[dict[str, object]]:
        """One ``era.events.Claim`` dict per CLP of the set, every service line included (built
        once, on first access; ``ingested_at`` left ``None``)."""
        if self._claims is None:
            self._claims = self._summary.claims() if self._summary is not None else []
            self._release_summary()
        return self._claims

    @property
    def remittance(self) -> dict[str, object] | None:
        """The ``era.events.Remittance`` dict of the set (built once, on first access)."""
        if self._remittance is None and self._summary is not None:
            self._remittance = self._summary.remittance()
            self._release_summary()
        return self._remittance

    def _release_summary(self) -> None:
        if self._claims is not None and self._remittance is not None:
            self._summary = None

    @property
    def adjustments(self) -> list[Adjustment]:
        """The adjustment dicts, in file order (built once, on first access; the compact form
        is dropped then)."""
        compact = self._compact
        if compact is not None:
            self._adjustments = compact.dicts()
            self._compact = None
        return self._adjustments

    @property
    def adjustment_count(self) -> int:
        """How many adjustments the set has, without building them."""
        if self._compact is not None:
            return len(self._compact)
        return len(self.adjustments)

    def json_lines(self) -> list[str]:
        """One compact ASCII JSON object per adjustment (no newline), exactly what ``json``
        with ``separators=(",", ":")`` makes of each of :attr:`adjustments`."""
        if self._compact is not None:
            return json_lines(self._compact)
        # the dicts were built, and may have been changed since
        return [encode(adjustment) for adjustment in self.adjustments]

    def _key(self) -> tuple[object, ...]:
        return (
            self.file,
            self.interchange,
            self.functional_group,
            self.transaction,
            self.first_segment_no,
            self.adjustments,
            self.problems,
            self.payer_id,
            self.claim_statuses,
            self.fingerprint,
        )

    def __eq__(self, other: object) -> bool:
        """Equal when every field is, the adjustment dicts included."""
        if not isinstance(other, ParsedTransaction):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaces

    def __repr__(self) -> str:
        return (
            f"ParsedTransaction(file={self.file!r}, interchange={self.interchange!r}, "
            f"functional_group={self.functional_group!r}, transaction={self.transaction!r}, "
            f"first_segment_no={self.first_segment_no}, adjustments={self.adjustment_count}, "
            f"problems={len(self.problems)}, fingerprint={self.fingerprint!r})"
        )
