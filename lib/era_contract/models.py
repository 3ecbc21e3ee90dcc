"""Pydantic models of the events: the typed view of ``schemas/*.avsc``.

The services move plain dicts on the hot path; these models validate at the edges (tests, tools,
downstream consumers written in Python). ``tests/era_contract/test_models.py`` fails if a model
and its Avro schema disagree on a field's name, order, type or optionality.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from era_contract import vocabulary as v

Level = Literal["claim", "line", "provider"]
# the same names as era_contract.vocabulary.ROUTES (tests/era_contract/test_vocabulary.py)
Route = Literal[
    "writeoff", "appeals", "patient_statements", "cob_rebill", "review", "predeterminations"
]


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Adjustment(_Event):
    """One CAS triplet (claim or line level) or PLB adjustment (provider level) of an ERA."""

    event_id: str
    file: str
    implementation: str
    interchange: str
    functional_group: str
    transaction: str
    segment_no: int
    payer_name: str | None = None
    payer_id: str | None = None
    payee_name: str | None = None
    payee_npi: str | None = None
    trace: str | None = None
    remit_date: str | None = None
    claim_id: str | None = None
    claim_status: str | None = None
    claim_charge: str | None = None
    claim_paid: str | None = None
    patient_responsibility: str | None = None
    claim_filing_indicator: str | None = None
    payer_claim_id: str | None = None
    patient_name: str | None = None
    member_id: str | None = None
    level: Level
    line: int | None = None
    procedure: str | None = None
    modifiers: list[str] = Field(default_factory=list)
    units: str | None = None
    line_charge: str | None = None
    line_paid: str | None = None
    allowed_amount: str | None = None
    service_date: str | None = None
    group_code: str | None = None
    carc: str
    amount: str
    quantity: str | None = None
    rarcs: list[str] = Field(default_factory=list)
    plb_reference: str | None = None
    reversal: bool
    balance_error: str | None = None
    ingested_at: int | None = None
    crossover_carrier: str | None = None
    estimated_payment: str | None = None
    line_control_number: str | None = None
    submitted_procedure: str | None = None
    payee_tin: str | None = None
    claim_event_id: str | None = None
    remittance_event_id: str | None = None


class ClassifiedAdjustment(Adjustment):
    """An adjustment with its classification and, once routed, its route fields."""

    category: str
    action: str
    route: Route
    appealable: Literal["yes", "no", "conditional"]
    who_pays: Literal["provider", "patient", "other_payer"]
    patient_billable: bool
    upstream_cause: str | None = None
    rule_id: str
    explanation: str
    carc_description: str | None = None
    rarc_descriptions: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    expected_amount: str | None = None
    kb_version: str
    rules_version: str
    classified_at: int | None = None
    appeal_deadline: str | None = None
    follow_up_by: str | None = None
    routed_at: int | None = None
    claim_reading: str | None = None
    forwarded_by: list[str] = Field(default_factory=list)
    reverses_event_id: str | None = None
    reverses_claim_event_id: str | None = None
    corrects_claim_event_id: str | None = None
    matched_claim_id: str | None = None
    matched_claim_event_id: str | None = None


class DeadLetter(_Event):
    """Why ingest rejected part of a file, or a worker could not process a record."""

    dead_letter_id: str
    service: str
    reason: str
    error_class: str
    error_message: str
    file: str | None = None
    segment_no: int | None = None
    interchange: str | None = None
    transaction: str | None = None
    source_topic: str | None = None
    source_partition: int | None = None
    source_offset: int | None = None
    payload: bytes | None = None
    occurred_at: int
    source_key: bytes | None = None


class ClaimLine(_Event):
    """One service line (SVC) of a Claim, paid in full or not."""

    line: int
    segment_no: int
    procedure: str
    modifiers: list[str] = Field(default_factory=list)
    charge: str
    paid: str
    units: str
    submitted_procedure: str | None = None
    submitted_modifiers: list[str] = Field(default_factory=list)
    service_date: str | None = None
    service_date_end: str | None = None
    line_control_number: str | None = None
    location: str | None = None
    allowed: str | None = None
    remarks: list[str] = Field(default_factory=list)
    adjustment_event_ids: list[str] = Field(default_factory=list)
    balance_error: str | None = None


class ClaimAmount(_Event):
    """A claim AMT segment."""

    qualifier: str
    amount: str


class ClaimQuantity(_Event):
    """A claim QTY segment."""

    qualifier: str
    quantity: str


class Claim(_Event):
    """One claim (CLP) of an ERA with every service line: what a posting system posts."""

    event_id: str
    remittance_event_id: str
    file: str
    implementation: str
    interchange: str
    functional_group: str
    transaction: str
    segment_no: int
    payer_name: str | None = None
    payer_id: str | None = None
    payee_name: str | None = None
    payee_npi: str | None = None
    payee_tin: str | None = None
    trace: str | None = None
    remit_date: str | None = None
    claim_id: str
    claim_status: str
    charge: str
    paid: str
    patient_responsibility: str | None = None
    claim_filing_indicator: str | None = None
    payer_claim_id: str | None = None
    facility_type: str | None = None
    claim_frequency: str | None = None
    reversal: bool
    patient_name: str | None = None
    member_id: str | None = None
    statement_from: str | None = None
    statement_to: str | None = None
    received_date: str | None = None
    remarks: list[str] = Field(default_factory=list)
    crossover_carrier_name: str | None = None
    crossover_carrier_id: str | None = None
    rendering_npi: str | None = None
    amounts: list[ClaimAmount] = Field(default_factory=list)
    quantities: list[ClaimQuantity] = Field(default_factory=list)
    adjustment_event_ids: list[str] = Field(default_factory=list)
    lines: list[ClaimLine] = Field(default_factory=list)
    balance_error: str | None = None
    ingested_at: int | None = None


class ProviderAdjustment(_Event):
    """One PLB adjustment pair of a Remittance."""

    event_id: str
    segment_no: int
    provider_id: str
    fiscal_period_date: str | None = None
    carc: str
    reference: str | None = None
    amount: str


class Remittance(_Event):
    """One transaction set of an ERA: one check or EFT."""

    event_id: str
    file: str
    implementation: str
    interchange: str
    functional_group: str
    transaction: str
    segment_no: int
    payer_name: str | None = None
    payer_id: str | None = None
    payer_n1_id: str | None = None
    payer_additional_id: str | None = None
    payee_name: str | None = None
    payee_npi: str | None = None
    payee_tin: str | None = None
    handling_code: str | None = None
    total_paid: str
    credit_debit: str | None = None
    payment_method: str | None = None
    payment_date: str | None = None
    trace: str | None = None
    trace_originator: str | None = None
    production_date: str | None = None
    claim_count: int
    claims_paid: str
    provider_adjustments: str
    provider_adjustment_items: list[ProviderAdjustment] = Field(default_factory=list)
    claim_event_ids: list[str] = Field(default_factory=list)
    balance_error: str | None = None
    ingested_at: int | None = None


MODEL_BY_SCHEMA: dict[str, type[_Event]] = {
    v.ADJUSTMENT: Adjustment,
    v.CLASSIFIED_ADJUSTMENT: ClassifiedAdjustment,
    v.DEAD_LETTER: DeadLetter,
    v.CLAIM: Claim,
    v.REMITTANCE: Remittance,
}
