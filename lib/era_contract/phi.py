"""PHI mode: replace patient names and member ids in events with keyed hashes.

``ERA_PHI_MODE=tokenize`` (with ``ERA_PHI_TOKEN_KEY``) makes ingest publish
``tok:<HMAC-SHA256>`` instead of the patient's name and member id, so route topics can feed
analytics without PHI while the same patient still maps to the same token (values are trimmed
and upper-cased first). The default ``keep`` publishes them as read, for posting systems.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import MutableMapping
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PHI_FIELDS = ("patient_name", "member_id")
TOKEN_PREFIX = "tok:"
MIN_KEY_LENGTH = 16


class PhiSettings(BaseSettings):
    """``ERA_PHI_MODE`` (keep | tokenize) and ``ERA_PHI_TOKEN_KEY`` (the HMAC secret)."""

    model_config = SettingsConfigDict(env_prefix="ERA_PHI_", extra="ignore")

    mode: Literal["keep", "tokenize"] = "keep"
    token_key: SecretStr | None = None

    @model_validator(mode="after")
    def _key_when_tokenizing(self) -> PhiSettings:
        if self.mode == "tokenize":
            key = self.token_key.get_secret_value() if self.token_key else ""
            if len(key) < MIN_KEY_LENGTH:
                raise ValueError(
                    f"ERA_PHI_MODE=tokenize needs ERA_PHI_TOKEN_KEY of at least"
                    f" {MIN_KEY_LENGTH} characters"
                )
        return self

    def tokenizer(self) -> Tokenizer | None:
        """The tokenizer for this mode (None when PHI is kept)."""
        if self.mode == "keep" or self.token_key is None:
            return None
        return Tokenizer(self.token_key.get_secret_value().encode())


class Tokenizer:
    """Keyed, deterministic tokens for PHI values."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def token(self, value: str) -> str:
        """``tok:`` + the first 32 hex characters of HMAC-SHA256(key, normalised value)."""
        normalised = " ".join(value.split()).upper().encode()
        return TOKEN_PREFIX + hmac.new(self._key, normalised, hashlib.sha256).hexdigest()[:32]

    def apply(self, event: MutableMapping[str, object]) -> None:
        """Replace the PHI fields of ``event`` in place (absent values stay absent)."""
        for field in PHI_FIELDS:
            value = event.get(field)
            if value:
                event[field] = self.token(str(value))
