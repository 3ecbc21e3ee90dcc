"""Links across files: reversals to their originals, corrections to the claims they replace,
PLB items to the claims they name, forwarding balances to what settles them (ROUTING.md,
"Reversals and corrections" and "Provider-level adjustments").

Pure logic on a :class:`~era_streams.state.KeyValueStore`, one adjustment at a time in input
order: ``era explain`` runs it on a :class:`~era_streams.state.MemoryStore` over the files of a
run, the classifier worker on the transactional store whose writes go to the changelog topic in
the stage's transaction (docs/delivery.md, "Classifier state"). No Kafka here.

What the store holds (keys are ``kind|...`` bytes, values JSON):

* ``cl|<payer>|<CLP01>`` — the claim last seen under that patient control number: its
  ``Claim`` event id (``c``), the original a reversal would undo (``o``), the original the last
  reversal undid, waiting for its correction (``r``), and the link of claim ``c`` (``l``), so
  every adjustment of one claim gets the same claim-level link;
* ``c7|<payer>|<CLP07>`` — the claim with that payer claim control number: its CLP01 (``id``)
  and ``Claim`` event id (``e``). A PLB names a claim this way; in a worker the entry lives in
  the partition of ``<payer>|<CLP07>`` (sent there through the lookup hop, ``directory``), not
  in the claim's own;
* ``t`` in a ``cl`` or ``c7`` entry: the claim's ingest time (``ingested_at`` of its first
  adjustment, when set). A PLB item links only to a claim ingested no later than itself
  (its own ``ingested_at``): what ``era explain`` decides reading the files in order, so a
  worker that sees a later claim first (a PLB item waiting at its lookup partition,
  :mod:`era_classifier.pending`) links the same. Without times (``era explain``, older entries)
  the order seen decides alone;
* ``ad|<claim event id>`` — the adjustments of an original (or correction) claim by line,
  group, code and amount: ``{"<line>|<group>|<carc>|<amount>": [event ids]}``;
* ``fb|<payer>|<reference>`` and ``fbt|<payer>`` — an open forwarding balance (FB) and the
  payer's open total (:data:`FORWARDING_TOTAL_PREFIX`, the classifier's gauge).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from era_streams.state import KeyValueStore

LINK_FIELDS = (
    "reverses_event_id",
    "reverses_claim_event_id",
    "corrects_claim_event_id",
    "matched_claim_id",
    "matched_claim_event_id",
)
"""The ClassifiedAdjustment fields a link fills (null when there is no link)."""
ORIGINAL_NOT_SEEN = "original_not_seen"
"""Flag of a reversal adjustment whose original was never seen."""
FORWARDING_BALANCE = "FB"
SETTLING_CODES = frozenset({"FB", "WO", "72"})
"""PLB codes that take back (settle) an open forwarding balance with the same reference."""
FORWARDING_TOTAL_PREFIX = b"fbt|"
"""Store keys of the open forwarding balance per payer (``fbt|<payer>``, a decimal string)."""

_NO_LINKS: dict[str, object] = dict.fromkeys(LINK_FIELDS)


@dataclass(frozen=True, slots=True)
class Links:
    """What linking found for one adjustment: the :data:`LINK_FIELDS`, flags to add, and a
    sentence for the explanation (empty when there is nothing to say)."""

    fields: Mapping[str, object] = field(default_factory=lambda: _NO_LINKS)
    flags: tuple[str, ...] = ()
    note: str = ""

    def apply(self, classified: dict[str, Any]) -> dict[str, Any]:
        """Merge into the classification fields of the adjustment (in place, and returned)."""
        classified.update(self.fields)
        if self.flags:
            classified["flags"] = [*classified.get("flags", []), *self.flags]
        if self.note:
            classified["explanation"] = f"{classified['explanation']} {self.note}"
        return classified


NO_LINKS = Links()


def _amount(value: object) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def _canonical(amount: Decimal) -> str:
    """One spelling per value (``50``, ``50.0`` and ``50.00`` alike; no ``-0``)."""
    if amount == 0:
        return "0"
    return format(amount.normalize(), "f")


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


IndexSink = Callable[[bytes, bytes], None]
"""Where ``c7`` index entries go: ``(key <payer>|<CLP07>, JSON {"c7": {"id", "e"}})``."""


class Linker:
    """Links one adjustment at a time against what ``store`` remembers, and remembers it.

    ``directory`` receives the ``c7`` index entries (payer claim control number → claim) when
    they belong to another partition than the claim's (the worker's lookup hop); without it they
    are kept in ``store`` like everything else (``era explain``).
    """

    def __init__(self, store: KeyValueStore, directory: IndexSink | None = None) -> None:
        self.store = store
        self.directory = directory
        self.new_claims: list[bytes] | None = None
        """When a list, each claim seen for the first time appends ``<payer>|<CLP01>`` (the
        key a PLB item naming it by CLP01 waits under); the caller empties it."""

    # -- store helpers --------------------------------------------------------------------------

    def _load(self, key: bytes) -> Any:
        raw = self.store.get(key)
        return None if raw is None else json.loads(raw)

    def _save(self, key: bytes, value: object) -> None:
        encoded = None if value is None else json.dumps(value, separators=(",", ":")).encode()
        self.store.put(key, encoded)

    # -- public API -----------------------------------------------------------------------------

    @staticmethod
    def lookup_key(adjustment: Mapping[str, object]) -> bytes | None:
        """Where a PLB item's lookup is done: ``<payer>|<reference>``, the partition key of the
        claim its reference names by CLP01 (ingest keys claims ``<payer>|<CLP01>``) and of the
        ``c7`` entry naming it by CLP07; ``None`` for anything else."""
        if adjustment.get("level") != "provider":
            return None
        reference = _text(adjustment.get("plb_reference"))
        if reference is None:
            return None
        return f"{adjustment.get('payer_id') or ''}|{reference}".encode()

    def remember_index_entry(self, key: bytes, value: bytes) -> None:
        """Store an index entry sent to ``directory`` (key ``<payer>|<CLP07>``) in this
        store (the one of the partition of that key)."""
        entry = json.loads(value)["c7"]
        kept: dict[str, object] = {"id": str(entry["id"]), "e": str(entry["e"])}
        if isinstance(entry.get("t"), int):
            kept["t"] = entry["t"]
        self._save(b"c7|" + key, kept)

    def link(self, adjustment: Mapping[str, object]) -> Links:
        """The links of ``adjustment`` (and remember it for the adjustments to come)."""
        if adjustment.get("level") == "provider":
            return self._provider(adjustment)
        claim_id = _text(adjustment.get("claim_id"))
        if claim_id is None:
            return NO_LINKS
        return self._claim(adjustment, str(adjustment.get("payer_id") or ""), claim_id)

    # -- claims ---------------------------------------------------------------------------------

    @staticmethod
    def _claim_event(adjustment: Mapping[str, object]) -> str:
        event = _text(adjustment.get("claim_event_id"))
        if event is not None:
            return event
        parts = ("file", "interchange", "transaction", "claim_id", "claim_status", "claim_charge")
        return "~" + "|".join(str(adjustment.get(p)) for p in parts)

    def _claim(self, adjustment: Mapping[str, object], payer: str, claim_id: str) -> Links:
        own_key = f"cl|{payer}|{claim_id}".encode()
        claim_event = self._claim_event(adjustment)
        reversal = adjustment.get("claim_status") == "22" or adjustment.get("reversal") is True
        entry = self._load(own_key)
        if entry is None or entry.get("c") != claim_event:
            entry = self._new_claim(adjustment, payer, claim_id, claim_event, reversal=reversal)
        link = entry.get("l")
        if reversal:
            return self._reversal_adjustment(adjustment, link)
        self._remember_adjustment(adjustment, claim_event)
        if link and link[0] == "cor":
            return Links(
                {**_NO_LINKS, "corrects_claim_event_id": link[1]},
                note="Corrects an earlier claim that was reversed.",
            )
        return NO_LINKS

    def _new_claim(
        self,
        adjustment: Mapping[str, object],
        payer: str,
        claim_id: str,
        claim_event: str,
        *,
        reversal: bool,
    ) -> dict[str, Any]:
        """Register the first adjustment's claim and decide its claim-level link."""
        own_key = f"cl|{payer}|{claim_id}".encode()
        previous = self._load(own_key) or {}
        ingested = adjustment.get("ingested_at")
        if reversal:
            # the original is the claim last paid under the same payer and CLP01 (the partition
            # key, so the lookup never leaves the partition)
            undone = previous.get("o")
            link = ["rev", undone] if undone else ["nos"]
            entry = {"id": claim_id, "c": claim_event, "o": None, "r": undone, "l": link}
        else:
            corrected = previous.get("r")
            link_cor = ["cor", corrected] if corrected else None
            entry = {"id": claim_id, "c": claim_event, "o": claim_event, "r": None, "l": link_cor}
            pcn = _text(adjustment.get("payer_claim_id"))
            if pcn is not None:
                indexed: dict[str, object] = {"id": claim_id, "e": claim_event}
                if isinstance(ingested, int):
                    indexed["t"] = ingested
                self._index(f"{payer}|{pcn}".encode(), indexed)
        if isinstance(ingested, int):
            entry["t"] = ingested
        self._save(own_key, entry)
        if self.new_claims is not None:
            self.new_claims.append(f"{payer}|{claim_id}".encode())
        return entry

    def _index(self, key: bytes, entry: dict[str, object]) -> None:
        if self.directory is None:
            self._save(b"c7|" + key, entry)
        else:
            self.directory(key, json.dumps({"c7": entry}, separators=(",", ":")).encode())

    @staticmethod
    def _adjustment_key(adjustment: Mapping[str, object], amount: Decimal) -> str:
        line = adjustment.get("line") if adjustment.get("level") == "line" else ""
        group, carc = adjustment.get("group_code") or "", adjustment.get("carc") or ""
        return f"{line if line is not None else ''}|{group}|{carc}|{_canonical(amount)}"

    def _remember_adjustment(self, adjustment: Mapping[str, object], claim_event: str) -> None:
        amount = _amount(adjustment.get("amount"))
        event_id = adjustment.get("event_id")
        if amount is None or not isinstance(event_id, str):
            return
        key = f"ad|{claim_event}".encode()
        table = self._load(key) or {}
        table.setdefault(self._adjustment_key(adjustment, amount), []).append(event_id)
        self._save(key, table)

    def _reversal_adjustment(self, adjustment: Mapping[str, object], link: Any) -> Links:
        if not link or link[0] != "rev":
            return Links(
                _NO_LINKS,
                (ORIGINAL_NOT_SEEN,),
                "The original payment was not seen, so nothing links this reversal to it.",
            )
        original = str(link[1])
        fields: dict[str, object] = {**_NO_LINKS, "reverses_claim_event_id": original}
        amount = _amount(adjustment.get("amount"))
        if amount is not None:
            key = f"ad|{original}".encode()
            table = self._load(key) or {}
            candidates = table.get(self._adjustment_key(adjustment, -amount))
            if candidates:
                fields["reverses_event_id"] = candidates.pop(0)
                self._save(key, table)
        if fields["reverses_event_id"] is None:
            return Links(
                fields,
                (ORIGINAL_NOT_SEEN,),
                "The original claim was seen, but not this adjustment with the amount negated.",
            )
        return Links(fields, note="Undoes the original adjustment named in reverses_event_id.")

    # -- provider level -------------------------------------------------------------------------

    def _provider(self, adjustment: Mapping[str, object]) -> Links:
        payer = str(adjustment.get("payer_id") or "")
        reference = _text(adjustment.get("plb_reference"))
        if reference is None:
            return NO_LINKS
        code = str(adjustment.get("carc") or "").strip().upper()
        amount = _amount(adjustment.get("amount"))
        if amount is not None:
            self._forwarding(payer, reference, code, amount)
        named = self.named_claim(adjustment)
        if named is None:
            return NO_LINKS
        claim_id, claim_event = named
        return Links(
            {**_NO_LINKS, "matched_claim_id": claim_id, "matched_claim_event_id": claim_event},
            note=f"Its reference names claim {claim_id}, seen before.",
        )

    def named_claim(self, adjustment: Mapping[str, object]) -> tuple[str, str] | None:
        """The claim (CLP01, ``Claim`` event id) a PLB item's reference names among the claims
        seen and ingested no later than the item; ``None`` when there is none. Reads only."""
        payer = str(adjustment.get("payer_id") or "")
        reference = _text(adjustment.get("plb_reference"))
        if reference is None:
            return None
        ingested = adjustment.get("ingested_at")
        at = ingested if isinstance(ingested, int) else None
        indexed = self._load(f"c7|{payer}|{reference}".encode())
        if isinstance(indexed, dict) and _not_after(indexed, at):
            # named by CLP07: exactly the claim with that number
            return str(indexed["id"]), str(indexed["e"])
        entry = self._load(f"cl|{payer}|{reference}".encode())  # by CLP01: the claim last paid
        if not entry or not _not_after(entry, at):
            return None
        return reference, str(entry.get("o") or entry.get("r") or entry.get("c"))

    def _forwarding(self, payer: str, reference: str, code: str, amount: Decimal) -> None:
        """A negative FB opens a balance the provider owes (``-amount``); a later FB, WO or 72
        with the same reference takes it back (never below zero)."""
        key = f"fb|{payer}|{reference}".encode()
        open_amount = _amount(self._load(key)) or Decimal(0)
        if code == FORWARDING_BALANCE and amount < 0:
            change = -amount
        elif code in SETTLING_CODES and open_amount > 0 and amount > 0:
            change = -min(amount, open_amount)
        else:
            return
        remaining = open_amount + change
        self._save(key, _canonical(remaining) if remaining else None)
        total_key = FORWARDING_TOTAL_PREFIX + payer.encode()
        total = (_amount(self._load(total_key)) or Decimal(0)) + change
        self._save(total_key, _canonical(total) if total else None)


def _not_after(entry: Mapping[str, object], at: int | None) -> bool:
    """Whether the claim of a ``cl``/``c7`` entry was ingested no later than ``at`` (true when
    either time is unknown)."""
    ingested = entry.get("t")
    return at is None or not isinstance(ingested, int) or ingested <= at


def forwarding_balances(items: Iterable[tuple[bytes, bytes]]) -> dict[str, Decimal]:
    """Payer → open forwarding balance, from store items (any keys; ``fbt|`` ones are read)."""
    totals: dict[str, Decimal] = {}
    for key, value in items:
        if key.startswith(FORWARDING_TOTAL_PREFIX):
            payer = key[len(FORWARDING_TOTAL_PREFIX) :].decode()
            totals[payer] = totals.get(payer, Decimal(0)) + Decimal(json.loads(value))
    return totals
