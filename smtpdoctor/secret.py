"""A password that cannot be printed by accident, and the redactor that scrubs every form
of it (and of tokens) from text before it is stored."""

from __future__ import annotations

import base64
from collections.abc import Iterable


class Secret:
    """Holds a credential; ``str``/``repr``/formatting never show it.

    Only :meth:`reveal` gives the value, and only the AUTH step calls it, so a
    leak needs a deliberate call rather than a stray f-string.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __len__(self) -> int:
        return len(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __repr__(self) -> str:
        return f"Secret(<{len(self._value)} characters>)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)


class Redactor:
    """Scrubs the password, and every form of it that goes on the wire, from
    text before it is stored: a server may echo what it received."""

    def __init__(self, username: str | None, password: Secret | None, others: Iterable[str] = ()) -> None:
        self._needles: list[str] = []
        forms: list[str] = []
        if password:
            secret = password.reveal()
            user = username or ""
            forms = [
                secret,
                _b64(secret),
                _b64(f"\0{user}\0{secret}"),
                _b64(f"{user}\0{user}\0{secret}"),
            ]
        self.add(*forms, *others)

    def add(self, *secrets: str) -> None:
        """Also scrub these (OAuth2 tokens, client secrets, SASL strings) and their base64."""
        forms = set(self._needles)
        for secret in secrets:
            forms |= {secret, _b64(secret)}
        # Longest first, so a form that contains another is replaced whole.
        self._needles = sorted((f for f in forms if len(f) >= 3), key=len, reverse=True)

    def clean(self, text: str) -> str:
        for needle in self._needles:
            text = text.replace(needle, "********")
        return text


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")
