"""The generator loop: checks until the size target is met, streamed envelope by envelope."""

from __future__ import annotations

import dataclasses
import io
import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import BinaryIO, Literal, TextIO, cast

from .catalog import PAYEE_NAMES, PAYERS, PLB_CODES, STREETS, PayeeProfile, PayerProfile
from .claims import ClaimFactory, npi
from .model import Claim, Weighted, pct
from .summary import SynthSummary, Tally
from .x12 import IMPLEMENTATION, Check, PlbAdjustment, TransactionWriter, d8

KindOption = Literal["dental", "medical", "mixed"]
DEFAULT_ADJUSTMENTS = 1000
_SENDERS = ("ERACLEARINGHS", "REMITEXCHANGE", "PAYERCONNECT")
_PLB = Weighted([((code, sign), weight) for code, weight, sign in PLB_CODES])


def _text_writer(out: BinaryIO | TextIO) -> Callable[[str], object]:
    """A ``write(str)`` for either a text or a binary stream (content is plain ASCII)."""
    if isinstance(out, io.TextIOBase) or (
        not isinstance(out, io.RawIOBase | io.BufferedIOBase) and hasattr(out, "encoding")
    ):
        return cast(TextIO, out).write
    binary = out
    return lambda text: binary.write(text.encode("ascii"))


def build_payers(kind: KindOption, count: int) -> list[PayerProfile]:
    """``count`` payers from the catalog (dental and medical interleaved), renamed when reused."""
    pool = [p for p in PAYERS if kind in ("mixed", p.kind)]
    out = []
    for i in range(count):
        base, cycle = pool[i % len(pool)], i // len(pool)
        if cycle:
            base = dataclasses.replace(
                base, name=f"{base.name} {cycle + 1}", payer_id=f"{base.payer_id}{cycle + 1}"
            )
        out.append(base)
    return out


def build_payees(rng: random.Random, kind: KindOption, count: int) -> list[PayeeProfile]:
    """``count`` billing providers with valid NPIs and nine-digit tax ids."""
    pool = [row for row in PAYEE_NAMES if kind in ("mixed", row[1])]
    out = []
    for i in range(count):
        (name, pkind, city, state, zip_code), cycle = pool[i % len(pool)], i // len(pool)
        label = f"{name} {cycle + 1}" if cycle else name
        tin = str(rng.randrange(10**8, 10**9))
        out.append(PayeeProfile(label, npi(rng), tin, pkind, city, state, zip_code))
    return out


def _plb(rng: random.Random, claims: list[Claim], trace: int) -> list[PlbAdjustment]:
    """Provider-level adjustments for a check, or none; amounts stay small against payments."""
    paid = max(sum(c.paid for c in claims), 0)
    out: list[PlbAdjustment] = []
    count = rng.choice((1, 1, 1, 2, 2, 3, 4, 7)) if rng.random() < 0.3 else 0
    for _ in range(count):
        code, sign = _PLB.pick(rng)
        amount = max(1, pct(paid, rng.randint(1, 12)) // 2 + rng.randint(0, 5000))
        ref: str | None
        if code == "WO":
            ref = f"{rng.randrange(10**13, 10**14)}"
        elif code == "L6":
            amount = max(1, pct(paid, 1) // 3)
            ref = rng.choice(claims).payer_control if claims and rng.random() < 0.7 else None
        elif code == "FB":
            ref = str(trace - rng.randint(1, 500))
        elif code == "CS":
            sign = rng.choice((1, -1))
            ref = f"ADJ{rng.randrange(10**5, 10**6)}"
        else:
            ref = f"{rng.randrange(10**7, 10**8)}" if rng.random() < 0.8 else None
        out.append(PlbAdjustment(code, ref, amount * (1 if sign >= 0 else -1)))
    net = sum(c.paid for c in claims) - sum(p.amount for p in out)
    if net < 0:
        out.append(PlbAdjustment("FB", str(trace), net))
    return out


class _Run:
    """State of one generator run: random source, parties, counters and the output."""

    def __init__(self, out: BinaryIO | TextIO, opts: _Options) -> None:
        self.opts = opts
        self.rng = rng = random.Random(opts.seed)
        self.write = _text_writer(out)
        self.term = "~\n" if opts.newlines else "~"
        self.tally = Tally(opts.record_expected)
        self.counts = self.tally.counts
        payer_list = build_payers(opts.kind, opts.payers)
        self.payees = build_payees(rng, opts.kind, opts.payees)
        self.payer_pick = Weighted([(p, 2 * len(payer_list) - i) for i, p in enumerate(payer_list)])
        self.start = date(2023, 1, 2) + timedelta(days=rng.randrange(700))
        self.sender, self.receiver = rng.choice(_SENDERS), f"DSO{rng.randrange(10**6, 10**7)}"
        self.isa13, self.gs06 = rng.randrange(1, 10**8), rng.randrange(1, 10**5)
        self.claim_ids = itertools.count(rng.randrange(100_000, 900_000))
        self.trace = rng.randrange(10**9, 2 * 10**9)
        self.written = 0

    def emit(self, text: str, segments: int) -> None:
        self.write(text)
        self.written += len(text)
        self.counts["segments"] += segments

    def progress(self) -> float:
        """Share of the size target reached so far (the larger of the two when both are set)."""
        opts, done = self.opts, 0.0
        if opts.target_adjustments:
            done = max(done, self.counts["adjustments"] / opts.target_adjustments)
        if opts.target_bytes:
            done = max(done, self.written / opts.target_bytes)
        return done

    def claims_left(self, goal: float) -> int:
        """Estimated number of claims still needed to reach ``goal`` (a share of the target)."""
        opts, claims = self.opts, self.counts["claims"]
        left = float(opts.max_claims)
        if opts.target_adjustments:
            avg = self.counts["adjustments"] / claims if claims else 3.0
            left = min(left, (goal - self.progress()) * opts.target_adjustments / max(avg, 0.5))
        if opts.target_bytes:
            avg = self.written / claims if claims else 1000.0
            left = min(left, (goal - self.progress()) * opts.target_bytes / avg)
        return max(1, math.ceil(left))

    def run(self) -> SynthSummary:
        for n_isa in range(self.opts.interchanges):
            self.interchange(n_isa)
        return self.tally.summary(self.written)

    def interchange(self, n_isa: int) -> None:
        """One ISA/GS envelope holding checks until its share of the target is reached."""
        rng, term = self.rng, self.term
        first = self.start + timedelta(days=self.counts["transactions"] // 8)
        hhmm = f"{rng.randrange(24):02d}{rng.randrange(60):02d}"
        control = f"{self.isa13 + n_isa:09d}"
        group = str(self.gs06 + n_isa)
        sender, receiver = self.sender, self.receiver
        self.emit(
            f"ISA*00*{'':10}*00*{'':10}*ZZ*{sender:15}*ZZ*{receiver:15}*{d8(first)[2:]}*{hhmm}"
            f"*^*00501*{control}*0*P*:{term}GS*HP*{sender}*{receiver}*{d8(first)}*{hhmm}*{group}"
            f"*X*{IMPLEMENTATION}{term}",
            2,
        )
        writer = TransactionWriter(self.tally, control, term)
        goal = (n_isa + 1) / self.opts.interchanges
        sets = 0
        while sets == 0 or self.progress() < goal:
            check = self.check(f"{sets + 1:04d}", goal)
            segments = writer.write(check, self.counts["segments"] + 1)
            self.emit("".join(segments.parts), len(segments.parts))
            sets += 1
        self.emit(f"GE*{sets}*{group}{term}IEA*1*{control}{term}", 2)
        self.counts["interchanges"] += 1
        self.counts["functional_groups"] += 1

    def check(self, st02: str, goal: float) -> Check:
        """The next check: a payer, a matching payee and its claims."""
        rng, opts = self.rng, self.opts
        span = opts.max_claims - opts.min_claims
        wanted = opts.min_claims + min(rng.randrange(span + 1), rng.randrange(span + 1))
        wanted = min(wanted, self.claims_left(goal))
        payer = self.payer_pick.pick(rng)
        payee = rng.choice([p for p in self.payees if p.kind == payer.kind] or self.payees)
        check_date = self.start + timedelta(days=self.counts["transactions"] // 8)
        self.trace += rng.randint(1, 40)
        factory = ClaimFactory(
            rng, payer=payer, payee=payee, check_date=check_date, ids=self.claim_ids,
            unknown_codes=opts.unknown_codes,
        )  # fmt: skip
        claims: list[Claim] = []
        while len(claims) < wanted:
            claims.extend(factory.unit())
        return Check(
            st02=st02,
            payer=payer,
            payee=payee,
            check_date=check_date,
            production_date=check_date - timedelta(days=rng.randint(0, 3)),
            trace=str(self.trace),
            method="ACH" if rng.random() < 0.75 else "CHK",
            payer_tin=f"{int(payer.payer_id, 36) % 10**9:09d}",
            receiver_ref=self.receiver if rng.random() < 0.4 else None,
            claims=claims,
            plb=_plb(rng, claims, self.trace),
            payer_phone=f"800555{rng.randrange(10**4):04d}",
            street=rng.choice(STREETS),
        )


@dataclass(frozen=True, slots=True)
class _Options:
    seed: int
    target_adjustments: int | None
    target_bytes: int | None
    payers: int
    payees: int
    interchanges: int
    unknown_codes: bool
    newlines: bool
    kind: KindOption
    min_claims: int
    max_claims: int
    record_expected: bool


def generate(
    out: BinaryIO | TextIO,
    *,
    seed: int,
    target_adjustments: int | None = None,
    target_bytes: int | None = None,
    payers: int = 6,
    payees: int = 4,
    interchanges: int = 1,
    unknown_codes: bool = False,
    newlines: bool = True,
    kind: KindOption = "mixed",
    min_claims: int = 10,
    max_claims: int = 200,
    record_expected: bool = False,
) -> SynthSummary:
    """Write a valid, balanced 005010X221A1 file to ``out`` and return what was written.

    Generation stops once ``target_adjustments`` CAS triplets + PLB adjustments or
    ``target_bytes`` bytes are reached, whichever comes first (default: 1000 adjustments);
    both are approximate. Each transaction set is one check of ``min_claims`` to ``max_claims``
    claims (fewer near the end), split over ``interchanges`` ISA envelopes. ``kind`` limits the
    payers and payees to dental or medical ones; ``unknown_codes`` mixes in a few CARCs that are
    not in the official list (CO-999 ...); ``newlines`` puts a newline after every ``~``.

    Output depends only on the arguments: the same seed and options give byte-identical files
    on any machine. Memory stays flat: one transaction set is built at a time and written out.
    With ``record_expected`` the summary lists every adjustment (use for small outputs only).
    """
    if target_adjustments is None and target_bytes is None:
        target_adjustments = DEFAULT_ADJUSTMENTS
    if payers < 1 or payees < 1 or interchanges < 1 or not 1 <= min_claims <= max_claims:
        raise ValueError("payers, payees, interchanges and min_claims must be at least 1")
    opts = _Options(
        seed=seed,
        target_adjustments=target_adjustments,
        target_bytes=target_bytes,
        payers=payers,
        payees=payees,
        interchanges=interchanges,
        unknown_codes=unknown_codes,
        newlines=newlines,
        kind=kind,
        min_claims=min_claims,
        max_claims=max_claims,
        record_expected=record_expected,
    )
    return _Run(out, opts).run()
