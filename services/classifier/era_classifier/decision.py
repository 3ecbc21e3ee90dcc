"""One decision of the classifier while it is being made: what it decided and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Ids:
    """The codes of one adjustment: CARC, group code (``None`` when missing), remark codes."""

    carc: str
    group: str | None
    rarcs: Sequence[str]

    @property
    def label(self) -> str:
        return f"{self.group}-{self.carc}" if self.group else self.carc


@dataclass(slots=True)
class Decision:
    """Category, action, rule id, explanation and appealability; route and flags filled in
    as the checks run."""

    category: str
    action: str
    rule_id: str
    explanation: str
    appealable: str
    route: str = ""
    flags: list[str] = field(default_factory=list)
    expected_amount: str | None = None
