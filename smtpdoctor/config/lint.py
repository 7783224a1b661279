"""Findings that need the provider table: what cannot work, before any network."""

from __future__ import annotations

import re
from datetime import date

from smtpdoctor.config.clients import PORT_MODES
from smtpdoctor.config.values import Settings
from smtpdoctor.model import Finding, Severity, frozen_params
from smtpdoctor.providers import Provider, ProviderTable

PASSWORD_KIND_REASONS = {
    "authorization_code": "config.password_not_authorization_code",
    "app_password": "config.password_not_app_password",
    "api_key": "config.password_not_api_key",
}


def port_mode(port: int, provider: Provider | None) -> str | None:
    """What ``port`` speaks: the provider's table first, then convention."""
    if provider and port in provider.ports:
        return provider.ports[port]
    return PORT_MODES.get(port)


def _documented(s: Settings, provider: Provider | None) -> dict[str, object]:
    """The provider table's port and mode, in the user's own variables where the client can be
    told to use them: documentation, said apart from a fix (`check` verifies one on the wire)."""
    none: dict[str, object] = {"documented": "§documented.none"}
    if provider is None:
        return none
    from smtpdoctor.config.clients import changes as client_changes

    # The provider's usual port first, then its others: the first one the client can use.
    ordered = sorted(provider.ports, key=lambda p: (p != provider.default_port, p))
    change = next((c for p in ordered if provider.ports[p] != "plain"
                   and (c := client_changes(s, p, provider.ports[p]))), None)
    ports = ", ".join(f"{p} ({m})" for p, m in sorted(provider.ports.items()))
    if not change:
        return {**none, "offline": "§documented.ports", "provider_ports": ports}
    return {**none, "offline": "§documented.change", "provider_ports": ports,
            "change": ", ".join(f"{k}={v}" for k, v in change.items())}


# Findings that contradict the provider table: a warning for `check` (the wire decides, and its
# fix search names the change that works), an error for the offline gate `config`.
PROVIDER_CONTRADICTIONS = frozenset({"config.mode_port_mismatch", "config.provider_port_unsupported"})


def offline_gate(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """``config``'s findings: what the provider's own table says cannot work is an error there,
    and its remedy says what the table documents (in ``check`` the wire decides, and the fix
    search names a verified change instead)."""
    return tuple(f._replace(severity=Severity.ERROR,
                         params=frozen_params({**f.params, "documented": f.params["offline"]}))
                 if f.reason in PROVIDER_CONTRADICTIONS and "offline" in f.params else f for f in findings)


def today() -> date:
    """Today, read when the settings are linted: a dated change's days left are counted from it
    (tests set the clock here)."""
    return date.today()


def idna_problem(domain: str) -> str | None:
    """Why a non-ASCII ``domain`` is no name under IDNA 2008 with UTS #46 (the idna package's
    words), the form it goes on the wire in (wire/addresses.py); None when it is one."""
    if domain.isascii():
        return None
    import idna

    try:
        idna.encode(domain, uts46=True)
    except idna.IDNAError as exc:
        return str(exc) or type(exc).__name__
    return None


def dated_changes(s: Settings, provider: Provider) -> list[Finding]:
    """The provider's announced changes that end the way these settings log in: the days left
    until the date, or, once it has come, the change named as the likely cause of a refused login."""
    found = []
    for change in provider.changes:
        if not s.logs_in or s.login not in change.affects:
            continue
        left = change.days_left(today())
        reason = "config.provider_change_soon" if left > 0 else "config.provider_change_passed"
        found.append(Finding(Severity.WARNING, reason, frozen_params({
            # What changes and the way off it are phrases (§): said in the report's language.
            "change": f"§{change.what}", "way_off": f"§{change.what}.fix", "days": left,
            "date": change.date.isoformat(), "url": change.source, "read": change.read.isoformat()})))
    return found


def lint_settings(s: Settings, provider: Provider | None, table: ProviderTable) -> list[Finding]:
    found: list[Finding] = []

    def add(severity: Severity, reason: str, **params: object) -> None:
        found.append(Finding(severity, reason, frozen_params(params)))

    for setting in ("username", "sender"):
        address = getattr(s, setting)
        if setting == "sender" and address == s.username:
            continue  # the sender derived from the login: said once, for the login
        domain = address.rpartition("@")[2] if address and "@" in address else ""
        problem = idna_problem(domain)
        if problem:
            # No server can take it on the wire, and no resolver can look it up.
            add(Severity.ERROR, "config.address_domain_invalid", variable=s.variable(setting),
                value=address, domain=domain, detail=problem)
            continue
        near = table.nearest_domain(domain) if domain else None
        if near:
            add(Severity.WARNING, "config.domain_typo", variable=s.variable(setting), value=address,
                domain=domain, suggestion=near)
    if s.port is not None and s.security is not None:
        expected = port_mode(s.port, provider)
        wrong = (s.security == "ssl" and expected in ("starttls", "plain")) or (
            s.security in ("starttls", "plain") and expected == "ssl"
        )
        # Port and mode fixes are never offered from here: `check` verifies
        # one on the wire and names it with the probe that fails.
        if (s.security_explicit or (s.client and s.client.id == "smtplib-ssl")) and wrong and expected:
            add(Severity.WARNING, "config.mode_port_mismatch", port=s.port,
                configured=s.security, expected=expected, **_documented(s, provider))
        if s.security == "plain" and s.password and not wrong:
            add(Severity.WARNING, "config.plain_with_password", port=s.port)
        if s.port == 25 and not _local_or_private(s.host):
            add(Severity.WARNING, "config.port_25_blocked")
        if provider and s.port not in provider.ports:
            ports = ", ".join(f"{p} ({m})" for p, m in sorted(provider.ports.items()))
            add(Severity.WARNING, "config.provider_port_unsupported", port=s.port, ports=ports,
                **_documented(s, provider))
    if s.client and s.client.id == "smtplib" and s.tls_words.ssl:
        ssl_var = next((v for v in s.tls_variables if "SSL" in v or "SECURE" in v), "the SSL flag")
        add(Severity.WARNING, "config.flag_not_read", variable=s.app_variables.get(ssl_var, ssl_var),
            client=s.client.param)

    if s.host and s.username:
        host_provider = table.by_host(s.host)
        user_provider = table.by_address(s.username)
        if (host_provider and user_provider and host_provider is not user_provider
                and host_provider.kind == "mailbox"):
            add(Severity.WARNING, "config.host_user_mismatch", **user_provider.named("user_provider"),
                **host_provider.named("host_provider"), suggestion=user_provider.primary_host)

    if provider is None:
        return found
    found += dated_changes(s, provider)
    if (s.username and s.sender and provider.sender_must_match_login
            and s.sender.casefold() != s.username.casefold()):
        if provider.sender_rule_confirmed:
            add(Severity.WARNING, "config.sender_not_login")
        else:
            add(Severity.INFO, "config.sender_not_login_maybe")
    if s.username and provider.username_literal and s.username != provider.username_literal:
        add(Severity.WARNING, "config.username_literal", literal=provider.username_literal)
    elif s.username and provider.username == "address" and "@" not in s.username:
        add(Severity.WARNING, "config.username_not_address")
    if provider.password_kind == "app_password" and s.password and " " in s.password.reveal():
        add(Severity.INFO, "config.app_password_spaces")
    if provider.password_kind == "oauth2":
        add(Severity.WARNING, "config.oauth2_only")
    elif (s.password and provider.password_pattern
            and not re.search(provider.password_pattern, s.password.reveal())
            # Whitespace around it is its own finding (config.value_whitespace): a code of the
            # right shape with a trailing space is not "not an authorization code".
            and not re.search(provider.password_pattern, s.password.reveal().strip())):
        reason = PASSWORD_KIND_REASONS.get(provider.password_kind)
        if reason:
            add(Severity.WARNING, reason, length=len(s.password))
    return found


# Names that are never a cloud's egress: the machine itself, a Docker or Kubernetes relay.
LOCAL_NAMES = ("localhost", "host.docker.internal")


def _local_or_private(host: str | None) -> bool:
    """A relay on this machine or the private network: no cloud's port-25 block applies."""
    import ipaddress

    if not host:
        return False
    name = host.strip().rstrip(".").lower()
    if name in LOCAL_NAMES or name.endswith((".localhost", ".local", ".internal", ".svc", ".cluster.local")):
        return True
    if "." not in name:
        return True  # a bare name (postfix, mailhog, a compose service) resolves on the local network
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local
