"""`smtpdoctor domain`: the sending domain's records, judged against the provider that sends."""

from __future__ import annotations

import asyncio

from smtpdoctor.config.preflight import Preflight
from smtpdoctor.model import Finding, Report, Severity, frozen_params
from smtpdoctor.probes.domain import run_domain_probes
from smtpdoctor.probes.session import Session
from smtpdoctor.runner.check import bad_domain, sender_domain
from smtpdoctor.runner.options import RunOptions
from smtpdoctor.secret import Redactor
from smtpdoctor.wire.trust import tls_context


async def arun_domain(preflight: Preflight, domain: str | None, options: RunOptions) -> Report:
    """`smtpdoctor domain`: mx, spf, dkim and dmarc of ``domain`` (default: the sender's),
    judged against the provider that sends (the settings' host, else the domain's MX)."""
    domain = (domain or sender_domain(preflight.settings) or "").strip().lower() or None
    if domain is None:
        finding = Finding(Severity.ERROR, "config.no_domain", frozen_params({}))
        return Report("domain", preflight.settings, preflight.provider, (finding,))
    findings: list[Finding] = []
    if bad_domain(domain, findings):
        return Report("domain", preflight.settings, preflight.provider, tuple(findings))
    loop = asyncio.get_running_loop()
    session = Session(settings=preflight.settings, provider=preflight.provider, table=preflight.table,
                      timeout=options.timeout, context=tls_context(None), redactor=Redactor(None, None),
                      dns_server=options.dns_server,
                      run_deadline=loop.time() + options.max_time if options.max_time else None)
    probes = await run_domain_probes(session, domain, options.dkim_selectors)
    provider = preflight.provider or session.sending_provider
    return Report("domain", preflight.settings, provider, (), tuple(probes), domain=domain)
