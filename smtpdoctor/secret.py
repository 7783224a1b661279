"""A password that cannot be printed by accident."""

from __future__ import annotations


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
