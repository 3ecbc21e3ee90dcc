"""Pure routing of classified adjustments: final route, guards and due dates. No Kafka here.

``Router.route(classified)`` takes a ClassifiedAdjustment (dict with the fields of
docs/events.md) and returns a :class:`RoutingDecision`:

* the route the classifier chose, unless
  - ``balance_error`` is set -> ``review`` (flag ``balance_error``);
  - the route is not one of the five -> ``review`` (flag ``invalid_route``);
  - an adjustment of a predetermination (CLP02 = 25) is headed for ``writeoff``, ``appeals``,
    ``patient_statements`` or ``cob_rebill`` -> ``review``, flag ``predetermination_blocked`` and
    ``predetermination_blocked=True`` for the worker's count (ROUTING.md principle 0);
  - a CO (or PI) amount is headed for the patient (route ``patient_statements`` or
    ``patient_billable``) -> ``review``, flag ``co_patient_blocked`` and
    ``co_patient_blocked=True`` so the worker can count it (ROUTING.md principle 1).
* ``appeal_deadline`` on ``appeals``: ``remit_date`` + the payer's appeal window (default 90 days);
* ``follow_up_by`` on ``cob_rebill``: ``remit_date`` + the follow-up days (default 30); for
  ``await_next_payer`` (the patient's share of a forwarded claim) the next-payer days (default 30).

Reversals (``reversal = true``) route exactly like their originals; the decision carries
``reversal`` so the posting system can undo what it posted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType

from era_contract import vocabulary as v
from era_contract.vocabulary import NO_PATIENT_GROUPS, PREDETERMINATION_FORBIDDEN_ROUTES, ROUTES

PREDETERMINATION = "25"
DEFAULT_APPEAL_DAYS = 90
DEFAULT_FOLLOW_UP_DAYS = 30
DEFAULT_NEXT_PAYER_DAYS = 30


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    route: str
    appeal_deadline: str | None = None
    follow_up_by: str | None = None
    flags: tuple[str, ...] = ()
    co_patient_blocked: bool = False
    reversal: bool = False
    predetermination_blocked: bool = False

    def fields(self) -> dict[str, object]:
        """The router's fields of the routed event (``routed_at`` is set by the worker)."""
        return {
            "route": self.route,
            "appeal_deadline": self.appeal_deadline,
            "follow_up_by": self.follow_up_by,
            "flags": list(self.flags),
        }


def _days(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name}: expected a whole number of days >= 0, got {value!r}")
    return value


@dataclass(frozen=True)
class Router:
    """Routing settings; build once, call ``route`` per event."""

    default_appeal_days: int = DEFAULT_APPEAL_DAYS
    appeal_days_by_payer: Mapping[str, int] = field(default_factory=dict)
    follow_up_days: int = DEFAULT_FOLLOW_UP_DAYS
    next_payer_days: int = DEFAULT_NEXT_PAYER_DAYS

    def __post_init__(self) -> None:
        _days("default_appeal_days", self.default_appeal_days)
        _days("follow_up_days", self.follow_up_days)
        _days("next_payer_days", self.next_payer_days)
        windows = {
            str(payer): _days(f"appeal_days_by_payer[{payer!r}]", days)
            for payer, days in self.appeal_days_by_payer.items()
        }
        object.__setattr__(self, "appeal_days_by_payer", MappingProxyType(windows))

    def appeal_days(self, payer_id: object) -> int:
        if isinstance(payer_id, str):
            return self.appeal_days_by_payer.get(payer_id, self.default_appeal_days)
        return self.default_appeal_days

    def route(self, classified: Mapping[str, object]) -> RoutingDecision:
        raw_flags = classified.get("flags")
        flags = [str(f) for f in raw_flags] if isinstance(raw_flags, list | tuple) else []
        route = classified.get("route")
        if route not in ROUTES:
            route = "review"
            flags.append("invalid_route")
        if classified.get("balance_error"):
            route = "review"
            flags.append("balance_error")
        estimate_blocked = (
            classified.get("claim_status") == PREDETERMINATION
            and route in PREDETERMINATION_FORBIDDEN_ROUTES
        )
        if estimate_blocked:
            route = "review"
            flags.append("predetermination_blocked")
        group = classified.get("group_code")
        blocked = group in NO_PATIENT_GROUPS and (
            route == v.PATIENT_STATEMENTS or classified.get("patient_billable") is True
        )
        if blocked:
            route = "review"
            flags.append("co_patient_blocked")
        remit = _iso(classified.get("remit_date"))
        deadline = follow_up = None
        if route == "appeals":
            if remit is None:
                flags.append("missing_remit_date")
            else:
                deadline = remit + timedelta(days=self.appeal_days(classified.get("payer_id")))
        elif route == v.COB_REBILL:
            if remit is None:
                flags.append("missing_remit_date")
            else:
                days = (
                    self.next_payer_days
                    if classified.get("action") == "await_next_payer"
                    else self.follow_up_days
                )
                follow_up = remit + timedelta(days=days)
        return RoutingDecision(
            route=str(route),
            appeal_deadline=deadline.isoformat() if deadline else None,
            follow_up_by=follow_up.isoformat() if follow_up else None,
            flags=tuple(dict.fromkeys(flags)),
            co_patient_blocked=blocked,
            reversal=classified.get("reversal") is True,
            predetermination_blocked=estimate_blocked,
        )


def _iso(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
