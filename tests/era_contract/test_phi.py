from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from era_contract.phi import PhiSettings, Tokenizer

pytestmark = pytest.mark.unit

KEY = "a-secret-of-at-least-16"


def test_tokenize_replaces_names_and_member_ids_with_keyed_tokens(make_adjustment: Any) -> None:
    event = make_adjustment(patient_name="DOE, JANE", member_id="M123")
    Tokenizer(KEY.encode()).apply(event)
    assert event["patient_name"].startswith("tok:") and len(event["patient_name"]) == 36
    assert event["member_id"].startswith("tok:")
    assert "DOE" not in str(event) and "M123" not in str(event)


def test_tokens_are_deterministic_normalised_and_depend_on_the_key() -> None:
    tokens = Tokenizer(KEY.encode())
    assert tokens.token("Doe,  Jane ") == tokens.token("DOE, JANE")
    assert tokens.token("DOE, JANE") != tokens.token("DOE, JOHN")
    assert Tokenizer(b"another-key-16chars").token("DOE, JANE") != tokens.token("DOE, JANE")


def test_absent_values_stay_absent(make_adjustment: Any) -> None:
    event = make_adjustment(patient_name=None, member_id=None)
    Tokenizer(KEY.encode()).apply(event)
    assert event["patient_name"] is None and event["member_id"] is None


def test_default_mode_keeps_phi(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ERA_PHI_MODE", raising=False)
    assert PhiSettings().tokenizer() is None


def test_tokenize_needs_a_real_key_and_never_shows_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERA_PHI_MODE", "tokenize")
    monkeypatch.setenv("ERA_PHI_TOKEN_KEY", "short")
    with pytest.raises(ValidationError, match="at least 16 characters"):
        PhiSettings()
    monkeypatch.setenv("ERA_PHI_TOKEN_KEY", KEY)
    settings = PhiSettings()
    assert settings.tokenizer() is not None
    assert KEY not in repr(settings)
