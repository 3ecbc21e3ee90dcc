"""Service-line adjudication: turn a billed line into a paid/denied line whose CAS balances.

Each scenario name maps to one realistic outcome (a contractual reduction with patient share, a
denial with its remark codes, a COB redirect, a hidden denial, …). Every outcome satisfies
SVC02 - SVC03 = Σ CAS amounts; :meth:`LinePricer.price` checks it.
"""

from __future__ import annotations

import random
from datetime import date

from .catalog import RARCS, UNKNOWN_CODES, PayerProfile, Procedure
from .model import Cas, Line, Weighted, pct

_DENIALS = {
    "deny:CO:4": ("CO", "4"),
    "deny:CO:16": ("CO", "16"),
    "deny:CO:29": ("CO", "29"),
    "deny:CO:97": ("CO", "97"),
    "deny:CO:18": ("CO", "18"),
    "deny:OA:18": ("OA", "18"),
    "deny:CO:22": ("CO", "22"),
    "deny:CO:109": ("CO", "109"),
    "deny:CO:254": ("CO", "254"),
    "deny:CO:270": ("CO", "270"),
    "deny:CO:280": ("CO", "280"),
    "deny:CO:290": ("CO", "290"),
    "deny:CO:291": ("CO", "291"),
    "deny:CO:289": ("CO", "289"),
    "deny:PR:96": ("PR", "96"),
    "deny:PR:204": ("PR", "204"),
    "deny:PI:204": ("PI", "204"),
}

_COMMON: list[tuple[str, int]] = [
    ("deny:CO:16", 250),
    ("deny:CO:29", 60),
    ("deny:CO:97", 300),
    ("deny:CO:18", 60),
    ("deny:OA:18", 40),
    ("deny:CO:22", 110),
    ("deny:CO:109", 60),
    ("deny:CO:289", 50),
    ("hidden", 80),
    ("oa100", 40),
    ("over94", 20),
    ("incentive144", 35),
]
DENTAL_LINE_SCENARIOS: list[tuple[str, int]] = [
    ("paid", 7600),
    ("deny:CO:4", 100),
    ("deny:CO:254", 120),
    ("deny:CO:290", 60),
    ("partial259", 60),
    ("deny:PR:204", 60),
    ("deny:PI:204", 60),
    ("max119", 120),
    *_COMMON,
]
MEDICAL_LINE_SCENARIOS: list[tuple[str, int]] = [
    ("paid", 7000),
    ("mpr59", 250),
    ("deny:CO:4", 250),
    ("deny:CO:270", 80),
    ("deny:CO:280", 60),
    ("deny:CO:291", 50),
    ("disc131", 100),
    ("deny:PR:96", 60),
    *_COMMON,
]
UNKNOWN_WEIGHT = 40


def line_scenarios(dental: bool, unknown_codes: bool) -> Weighted[str]:
    """The weighted scenario table for dental or medical lines."""
    base = DENTAL_LINE_SCENARIOS if dental else MEDICAL_LINE_SCENARIOS
    extra = [("unknown", UNKNOWN_WEIGHT)] if unknown_codes else []
    return Weighted([*base, *extra])


class LinePricer:
    """Adjudicates service lines for one payer with a shared random source."""

    def __init__(self, rng: random.Random, payer: PayerProfile) -> None:
        self.rng = rng
        self.payer = payer

    # -- building blocks -------------------------------------------------------------------
    def allowed(self, charge: int) -> int:
        """The payer's fee-schedule allowance for a charge (never above the charge)."""
        permille = self.payer.allowed_permille + self.rng.randint(-60, 60)
        return min(charge, (charge * permille + 500) // 1000)

    def patient_share(self, proc: Procedure, allowed: int) -> list[Cas]:
        """PR-1 deductible, PR-2 coinsurance and PR-3 copay on an allowed amount."""
        rng, payer = self.rng, self.payer
        out: list[Cas] = []
        if allowed <= 0:
            return out
        if payer.filing == "MC":
            if rng.random() < 0.1:
                out.append(Cas("PR", "3", min(allowed, rng.choice((100, 200, 300)))))
            return out
        if payer.kind == "dental":
            if payer.copay:
                copay = {"P": 0, "B": rng.randrange(1500, 4500), "M": rng.randrange(10000, 30000)}
                amount = min(allowed, copay.get(proc.cls, 0))
                return [Cas("PR", "3", amount)] if amount else out
            coverage = {"P": 100, "B": 80, "M": 50}.get(proc.cls, 80)
            deductible = min(5000, allowed) if proc.cls != "P" and rng.random() < 0.2 else 0
        else:
            if payer.copay and proc.cls == "em":
                return [Cas("PR", "3", min(allowed, rng.choice((2000, 2500, 3000, 4000))))]
            coverage = 80 if payer.federal or not payer.copay else rng.choice((70, 80, 90))
            deductible = min(rng.choice((5000, 15000, 24000)), allowed) if rng.random() < 0.2 else 0
        if deductible:
            out.append(Cas("PR", "1", deductible))
        coinsurance = pct(allowed - deductible, 100 - coverage)
        if coinsurance:
            out.append(Cas("PR", "2", coinsurance))
        return out

    def _rarcs(self, key: str, chance: float) -> tuple[str, ...]:
        codes = RARCS.get(key)
        if not codes or self.rng.random() >= chance:
            return ()
        first = self.rng.choice(codes)
        if len(codes) > 1 and self.rng.random() < 0.15:
            second = self.rng.choice(codes)
            if second != first:
                return (first, second)
        return (first,)

    # -- outcomes --------------------------------------------------------------------------
    def _paid(self, proc: Procedure, charge: int, line: Line, discount: str) -> int:
        """Contractual reduction plus patient share; returns the line payment."""
        allowed = self.allowed(charge)
        if charge > allowed:
            line.cas.append(Cas("CO", discount, charge - allowed))
        share = self.patient_share(proc, allowed)
        line.cas.extend(share)
        line.allowed = allowed
        return allowed - sum(c.amount for c in share)

    def _federal(self, line: Line, paid: int) -> int:
        """Sequestration (CO-253, 2 %) and now and then a MIPS penalty (CO-237)."""
        if paid <= 0:
            return paid
        if self.rng.random() < 0.05:
            penalty = pct(paid, self.rng.randint(1, 4))
            if penalty:
                line.cas.append(Cas("CO", "237", penalty))
                line.rarcs = (*line.rarcs, self.rng.choice(RARCS["237"]))
                paid -= penalty
        seq = pct(paid, 2)
        if seq:
            line.cas.append(Cas("CO", "253", seq))
            paid -= seq
        return paid

    def _deny(self, scenario: str, charge: int, line: Line) -> int:
        group, carc = _DENIALS[scenario]
        allowed = self.allowed(charge)
        quantity = line.units if line.units and line.units > 1 and self.rng.random() < 0.3 else None
        if group == "CO" and charge > allowed > 0 and self.rng.random() < 0.35:
            line.cas.append(Cas("CO", "45", charge - allowed))
            line.cas.append(Cas(group, carc, allowed, quantity))
        else:
            line.cas.append(Cas(group, carc, charge, quantity))
        line.rarcs = self._rarcs(carc, 0.7)
        return 0

    def price(self, scenario: str, proc: Procedure, line: Line) -> Line:
        """Adjudicate ``line`` (charge, units already set) under ``scenario``; returns it."""
        rng, payer, charge = self.rng, self.payer, line.charge
        discount = payer.discount_carc if payer.kind == "dental" else "45"
        if scenario in _DENIALS:
            paid = self._deny(scenario, charge, line)
        elif scenario == "hidden":
            line.cas.append(Cas("CO", "45", charge))
            line.allowed = 0 if rng.random() < 0.5 else None
            paid = 0
        elif scenario == "mpr59":
            full = self.allowed(charge)
            reduced = full // 2
            if charge > full:
                line.cas.append(Cas("CO", "45", charge - full))
            line.cas.append(Cas("CO", "59", full - reduced, 1 if rng.random() < 0.3 else None))
            share = self.patient_share(proc, reduced)
            line.cas.extend(share)
            line.allowed = reduced
            paid = reduced - sum(c.amount for c in share)
        elif scenario == "over94":
            allowed = charge + pct(charge, rng.randint(5, 25))
            line.cas.append(Cas("CO", "94", charge - allowed))
            share = self.patient_share(proc, allowed)
            line.cas.extend(share)
            line.allowed = allowed
            paid = allowed - sum(c.amount for c in share)
        elif scenario == "oa100":
            paid_to_patient = self._paid(proc, charge, line, discount)
            if paid_to_patient:
                line.cas.append(Cas("OA", "100", paid_to_patient))
            paid = 0
        else:
            paid = self._paid(proc, charge, line, discount)
            paid = self._adjust_paid(scenario, line, paid)
        if payer.federal:
            paid = self._federal(line, paid)
        if not line.rarcs and paid > 0 and rng.random() < 0.03:
            line.rarcs = self._rarcs("paid", 1.0)
        line.paid = paid
        line.check()
        return line

    def _adjust_paid(self, scenario: str, line: Line, paid: int) -> int:
        """Extra reductions (or increases) on an otherwise paid line."""
        rng = self.rng
        if scenario == "incentive144":
            bonus = max(1, pct(line.allowed or line.charge, rng.randint(2, 5)))
            line.cas.append(Cas("CO", "144", -bonus))
            return paid + bonus
        if paid <= 0:
            return paid
        cut = 0
        if scenario == "disc131":
            cut = pct(paid, rng.randint(5, 10))
            if cut:
                line.cas.append(Cas("CO", "131", cut))
        elif scenario == "partial259":
            cut = pct(paid, rng.randint(10, 40))
            if cut:
                line.cas.append(Cas("CO", "259", cut))
        elif scenario == "max119":
            cut = paid - rng.randrange(paid)
            line.cas.append(Cas("PR", "119", cut))
            line.rarcs = self._rarcs("119", 0.3)
        elif scenario == "unknown":
            group, carc = rng.choice(UNKNOWN_CODES)
            cut = paid if rng.random() < 0.3 else max(1, pct(paid, rng.randint(5, 15)))
            line.cas.append(Cas(group, carc, cut))
        return paid - cut


def make_line(
    proc: Procedure,
    *,
    modifiers: tuple[str, ...],
    units: int | None,
    fee_cents: int,
    service_date: date | None,
    control: str,
) -> Line:
    """An unadjudicated line: charge = fee x units (units default to 1)."""
    return Line(
        procedure=proc.composite_code,
        modifiers=modifiers,
        charge=fee_cents * (units or 1),
        paid=0,
        units=units,
        service_date=service_date,
        control=control,
    )
