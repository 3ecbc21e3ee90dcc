"""The hand-written claim-status fixture (tests/data/claim-status/) and what ROUTING.md says
each of its adjustments must become: route, action and rule id, by claim, group and code."""

from __future__ import annotations

from pathlib import Path

MIX = Path(__file__).resolve().parents[1] / "data" / "claim-status" / "claim-status-mix.835"

# (claim_id, line, group, carc) -> (route, action, rule_id); from ROUTING.md, written by hand
EXPECTED: dict[tuple[str, int | None, str, str], tuple[str, str, str]] = {
    # a dental predetermination (CLP02 25): everything is an estimate, whatever the group/code
    ("PD1001", 1, "CO", "45"): ("predeterminations", "record_estimate", "R0-predetermination"),
    ("PD1001", 1, "CO", "101"): ("predeterminations", "record_estimate", "R0-predetermination"),
    ("PD1001", 1, "PR", "1"): ("predeterminations", "record_estimate", "R0-predetermination"),
    ("PD1001", 1, "PR", "2"): ("predeterminations", "record_estimate", "R0-predetermination"),
    ("PD1001", 2, "CO", "45"): ("predeterminations", "record_estimate", "R0-predetermination"),
    ("PD1001", 2, "CO", "101"): ("predeterminations", "record_estimate", "R0-predetermination"),
    ("PD1001", 2, "PR", "2"): ("predeterminations", "record_estimate", "R0-predetermination"),
    # primaries forwarded by CLP02 19, by NM1*TT and by MOA MA18: PR waits, CO by its code
    ("FW1901", 1, "CO", "45"): ("writeoff", "writeoff", "R4-contractual-writeoff"),
    ("FW1901", 1, "PR", "2"): ("cob_rebill", "await_next_payer", "R0-forwarded-patient-share"),
    ("FWTT01", 1, "CO", "45"): ("writeoff", "writeoff", "R4-contractual-writeoff"),
    ("FWTT01", 1, "PR", "3"): ("cob_rebill", "await_next_payer", "R0-forwarded-patient-share"),
    ("FWRM01", 1, "CO", "45"): ("writeoff", "writeoff", "R4-contractual-writeoff"),
    ("FWRM01", 1, "PR", "1"): ("cob_rebill", "await_next_payer", "R0-forwarded-patient-share"),
    # a secondary (CLP02 2) with OA-23: principles 1-8 as before
    ("SEC001", 1, "CO", "45"): ("writeoff", "writeoff", "R4-contractual-writeoff"),
    ("SEC001", 1, "OA", "23"): ("cob_rebill", "verify_cob", "R3-verify-cob"),
    ("SEC001", 1, "PR", "2"): ("patient_statements", "bill_patient", "R2-patient-responsibility"),
    # a denied claim (CLP02 4) with PR-96: the patient agreed to a non-covered service
    ("DEN001", 1, "PR", "96"): (
        "patient_statements",
        "bill_patient",
        "R2-patient-responsibility",
    ),
    # not our claim, forwarded (CLP02 23): track only
    ("NOC001", None, "CO", "109"): ("cob_rebill", "track_forwarded", "R0-not-our-claim"),
    # CLP02 13 is a 277 status, not valid in an 835
    ("ODD001", 1, "CO", "45"): ("review", "review", "R0-unexpected-claim-status"),
}

READINGS = {
    "PD1001": ("predetermination", []),
    "FW1901": ("forwarded", ["CLP02=19"]),
    "FWTT01": ("forwarded", ["NM1*TT"]),
    "FWRM01": ("forwarded", ["MA18"]),
    "SEC001": ("processed", []),
    "DEN001": ("denied", []),
    "NOC001": ("not_our_claim", ["NM1*TT"]),
    "ODD001": ("unexpected_status", []),
}
