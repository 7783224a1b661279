"""`smtpdoctor providers`: the provider table as text and as its JSON document."""

from __future__ import annotations

from typing import Any

from smtpdoctor.catalog import phrase
from smtpdoctor.providers import ProviderTable
from smtpdoctor.views.console import cells


def table_lines(table: ProviderTable, lang: str) -> list[str]:
    """`smtpdoctor providers` as text: a block per provider, readable at 80
    columns, each fact on a line of its own for grep."""
    labels = {key: phrase(f"providers.{key}", lang) for key in ("host", "ports", "login", "imap", "get_it")}
    width = max(cells(label) for label in labels.values()) + 2

    def fact(key: str, value: str) -> str:
        return f"    {labels[key]}{' ' * (width - cells(labels[key]))}{value}"

    lines = []
    for p in table.providers:
        ports = " ".join(f"{port}/{mode}" for port, mode in sorted(p.ports.items()))
        user = (p.username_literal if p.username == "literal"
                else phrase(f"providers.username.{p.username}", lang))
        password = phrase(f"providers.password.{p.password_kind}", lang)
        lines.append(f"{p.id}  {p.display_name(lang)}")
        lines.append(fact("host", p.primary_host))
        lines.append(fact("ports", ports))
        lines.append(fact("login", phrase("providers.login_line", lang, user=user, password=password)))
        if p.imap:
            lines.append(fact("imap", f"{p.imap[0]}:{p.imap[1]}"))
        if p.credential_url:
            lines.append(fact("get_it", p.credential_url))
    return lines


def table_document(table: ProviderTable, lang: str) -> dict[str, Any]:
    """`smtpdoctor providers --json`."""
    return {"schema": 1, "providers": [
        {
            "id": p.id, "name": p.display_name(lang), "kind": p.kind,
            "hosts": list(p.hosts) + list(p.host_patterns), "domains": list(p.domains),
            "ports": {str(port): mode for port, mode in sorted(p.ports.items())},
            "default_port": p.default_port, "username": p.username,
            "username_literal": p.username_literal, "password_kind": p.password_kind,
            "sender_must_match_login": p.sender_must_match_login,
            "imap": {"host": p.imap[0], "port": p.imap[1], "security": "ssl"} if p.imap else None,
            "credential_url": p.credential_url, "help_url": p.help_url, "notes": p.notes,
        }
        for p in table.providers
    ]}
