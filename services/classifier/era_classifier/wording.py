"""The words of a decision: rule ids and the advice a biller reads in each explanation."""

from __future__ import annotations

import re

CO45_WRITEOFF = (
    "the charge exceeds the contracted fee; write off — not appealable unless the allowed amount "
    "is below contract"
)
# rule ids of the default table, by action (ROUTING.md principle numbers)
RULE_BY_ACTION = {
    "bill_patient": "R2-patient-responsibility",
    "obtain_cob": "R3-obtain-cob",
    "rebill_other_plan": "R3-rebill-other-plan",
    "rebill_correct_payer": "R3-rebill-correct-payer",
    "track_forwarded": "R3-track-forwarded",
    "verify_cob": "R3-verify-cob",
    "writeoff": "R4-contractual-writeoff",
    "verify_duplicate": "R5-duplicate",
    "corrected_claim": "R6-corrected-claim",
    "appeal_with_proof": "R6-appeal-with-proof",
    "verify_bundling": "R6-verify-bundling",
    "review_and_decide": "R6-review-and-decide",
    "appeal": "R6-appeal",
    "review": "R7-review",
}
ADVICE = {
    "bill_patient": "patient responsibility; bill the patient",
    "obtain_cob": "obtain the patient's other coverage and bill the primary payer first",
    "rebill_other_plan": "recode and rebill the patient's other plan",
    "rebill_correct_payer": "send the claim to the correct payer",
    "track_forwarded": "the payer already forwarded the claim; track it and do not rebill "
    "(a rebill creates a duplicate)",
    "verify_cob": "check the COB math against the primary payer's payment; not a rebill",
    "writeoff": "contractual or pricing reduction; write off — not appealable",
    "verify_duplicate": "find the original claim, which holds the balance; do not write this off "
    "(that would write the money off twice)",
    "corrected_claim": "fix the claim and send a corrected claim",
    "appeal_with_proof": "appeal with proof of timely filing",
    "verify_bundling": "check the bundling edit; appeal or correct the modifiers if it is wrong",
    "review_and_decide": "review the plan's rules before writing off or billing anyone",
    "appeal": "denial; appeal if the payer is wrong, otherwise write off after review",
    "review": "needs a billing lead's review",
    "review_hidden_denial": "treat it as a denial hidden in a contractual adjustment; review it",
    "dispute_underpayment": "dispute the payment against the contracted fee",
    "record_estimate": "a predetermination: record the payer's estimate; post nothing and bill "
    "no one",
    "await_next_payer": "the claim went on to the next payer; wait for its answer before billing "
    "the patient",
}


_USE_ONLY = re.compile(r"\s*\((?:Use|Only used)[^)]*\)\.?", re.IGNORECASE)


def short_description(text: str, limit: int = 110) -> str:
    """First sentence of an official description, for the one-line explanation."""
    first = text.split(" Usage:", maxsplit=1)[0].split(" Note:", maxsplit=1)[0]
    first = _USE_ONLY.sub("", first).strip()
    end = first.find(". ")
    if end != -1:
        first = first[: end + 1]
    first = first.rstrip(".")
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"
