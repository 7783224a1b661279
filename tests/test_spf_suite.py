"""`smtpdoctor domain` against the public RFC 7208 test suite (the openspf.org suite, release
2014.04, as pyspf 2.0.14 ships it: tests/data/openspf/, under its own licence).

Each scenario's zone data is served by a name server on loopback, and `domain` is run on
each test's sending domain (MAIL FROM's domain, else the HELO name). smtpdoctor has no client
IP, so what is compared is the *structural* verdict, the one a record has whatever IP sends:

- ``permerror``: the record is broken for every client (syntax, several records, a target
  with no record, too many lookups or void lookups) → a failed spf probe with one of the
  permerror reasons;
- ``none``: no SPF record (or a name that cannot be one) → domain.spf_missing, or a usage error;
- ``temperror``: the name server did not answer → domain.lookup_failed;
- pass, fail, softfail, neutral: the record evaluates → no permerror reason.

Where smtpdoctor's verdict differs from the suite's, the case is listed in DIFFERENT with why,
and the test asserts exactly those differences: a new one, or one that went away, fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.servers import UDPServer

SUITE = Path(__file__).parent / "data" / "openspf" / "rfc7208-tests.yml"

PERMERROR_REASONS = frozenset({
    "domain.spf_syntax", "domain.spf_multiple", "domain.spf_too_many_lookups",
    "domain.spf_void_lookups", "domain.spf_include_missing",
})

def dnspython_refuses_empty_txt() -> bool:
    """Whether this dnspython refuses a TXT record with no strings (2.5 and later do; the floor,
    2.4, reads it as an empty record, as pyspf does)."""
    import dns.rdataclass
    import dns.rdatatype
    from dns.rdtypes.ANY.TXT import TXT

    try:
        TXT(dns.rdataclass.IN, dns.rdatatype.TXT, [])
    except ValueError:
        return True
    return False


# Where smtpdoctor's verdict is not the suite's, and why. The test asserts this list is exact.
DIFFERENT: dict[str, str] = {
    # v=spf1 a include:inc.example.com ip4:1.2.3.4 mx -all, inc holding eight a terms: the
    # suite's client, 1.2.3.4, matches ip4 after ten lookups and passes; any other client
    # reaches mx, the eleventh, and gets permerror. With no client IP, over the limit is said.
    "include-at-limit": "the suite's client IP matches before the eleventh lookup",
}
if dnspython_refuses_empty_txt():
    # A TXT record with no strings beside the SPF record: pyspf reads past it; dnspython drops
    # the whole answer, so smtpdoctor says the answer cannot be read (domain.answer_unreadable).
    DIFFERENT["null-text"] = "dnspython refuses the answer, and smtpdoctor says so"


@functools.cache
def scenarios() -> list[dict[str, Any]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SUITE.open("rb") as data:
        return list(yaml.load_all(data, Loader=loader))


def records(zonedata: dict[str, list[Any]]) -> dict[str, list[tuple[str, Any]]]:
    """name → [(type, value)] as the suite's own driver (pyspf's testspf.py) reads the zone: an
    SPF-type record stands for a TXT one where the name has no TXT record, ``TXT: NONE`` means
    no TXT record, and ``TIMEOUT`` makes the name (or one type) never answer."""
    zone: dict[str, list[tuple[str, Any]]] = {}
    for name, entries in zonedata.items():
        out: list[tuple[str, Any]] = []
        spf_as_txt: list[tuple[str, Any]] = []
        has_txt = False
        for entry in entries:
            if entry == "TIMEOUT":
                out.append(("TIMEOUT", None))
                continue
            ((kind, value),) = entry.items()
            if kind in ("TXT", "SPF") and isinstance(value, str):
                value = [value]
            if kind == "TXT":
                has_txt = True
            elif kind == "SPF":
                spf_as_txt.append(("TXT", value))
                continue
            if value != ["NONE"]:
                out.append((kind, value))
        zone[name.lower().rstrip(".")] = out + ([] if has_txt else spf_as_txt)
    return zone


class SuiteDNS(UDPServer):
    """A name server on 127.0.0.1 answering from one scenario's zone, with the driver's
    semantics: a name not in the zone is NXDOMAIN (a name under ``error.`` never answers),
    a TIMEOUT never answers, TXT strings go on the wire as the bytes they are (UTF-8)."""

    def __init__(self, zone: dict[str, list[tuple[str, Any]]]) -> None:
        super().__init__()
        self.zone = zone

    def answer(self, wire: bytes, peer: Any) -> bytes | None:
        return self._answer(wire)

    def _answer(self, wire: bytes) -> bytes | None:
        import dns.message
        import dns.name
        import dns.rcode
        import dns.rdatatype

        query = dns.message.from_wire(wire)
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        kind = dns.rdatatype.to_text(question.rdtype)
        response = dns.message.make_response(query)
        response.use_edns(False)  # no OPT record: the answers are appended to the header's sections
        if name not in self.zone:
            if name.startswith("error."):
                return None
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response.to_wire()
        entries = self.zone[name]
        if ("TIMEOUT", None) in entries and not any(k == kind for k, _ in entries):
            return None
        wanted = [(k, v) for k, v in entries if k == kind or (k == "CNAME" and kind != "CNAME")]
        if any(v == "TIMEOUT" for _, v in wanted):
            return None
        rrs = [_rr(question.name.to_wire(), k, v) for k, v in wanted]
        for _, target in (w for w in wanted if w[0] == "CNAME"):  # the driver adds one level
            owner = dns.name.from_text(target).to_wire()
            rrs += [_rr(owner, k, v) for k, v in self.zone.get(target.lower().rstrip("."), []) if k == kind]
        head = response.to_wire()
        # The answers are appended as raw records, so a TXT record with no strings (which
        # dnspython will not build) goes on the wire as the suite has it.
        return head[:6] + len(rrs).to_bytes(2, "big") + head[8:] + b"".join(rrs)


def _rr(owner: bytes, kind: str, value: Any) -> bytes:
    import dns.name
    import dns.rdatatype

    if kind == "TXT":
        data = b"".join(len(s).to_bytes(1, "big") + s
                        for s in (p.encode("utf-8") if isinstance(p, str) else bytes(p) for p in value))
    elif kind == "A":
        data = socket.inet_pton(socket.AF_INET, value)
    elif kind == "AAAA":
        data = socket.inet_pton(socket.AF_INET6, value)
    elif kind == "MX":
        data = int(value[0]).to_bytes(2, "big") + dns.name.from_text(value[1]).to_wire()
    elif kind in ("PTR", "CNAME"):
        data = dns.name.from_text(value).to_wire()
    else:
        raise ValueError(kind)
    rdtype = int(dns.rdatatype.from_text(kind))
    return owner + rdtype.to_bytes(2, "big") + b"\x00\x01" + (60).to_bytes(4, "big") + \
        len(data).to_bytes(2, "big") + data


def expected(result: str | list[str]) -> set[str]:
    results = {result} if isinstance(result, str) else set(result)
    return {"evaluates" if r in ("pass", "fail", "softfail", "neutral") else r for r in results}


def sending_domain(case: dict[str, Any]) -> str:
    mailfrom = str(case.get("mailfrom") or "")
    return mailfrom.rsplit("@", 1)[1] if "@" in mailfrom else str(case["helo"])


def verdict(doc: dict[str, Any]) -> tuple[str, str]:
    """The structural verdict of one `domain` document, and the reason behind it."""
    spf = next((p for p in doc["probes"] if p["name"] == "spf"), None)
    if spf is None:  # the name cannot be a domain (an empty or a 64-octet label)
        return "none", doc["findings"][0]["reason"]
    reason = (spf.get("error") or {}).get("reason") or ""
    if spf["status"] == "fail" and reason in PERMERROR_REASONS:
        return "permerror", reason
    if reason == "domain.spf_missing":
        return "none", reason
    if reason == "domain.lookup_failed":
        return "temperror", reason
    if reason == "domain.answer_unreadable":
        return "unreadable", reason
    return "evaluates", reason or spf["status"]


def cases() -> list[tuple[int, str, dict[str, Any]]]:
    return [(n, name, case) for n, scenario in enumerate(scenarios())
            for name, case in scenario["tests"].items()]


@pytest.fixture(scope="module")
def verdicts() -> dict[str, tuple[set[str], str, str]]:
    """Every case: (the suite's verdicts, smtpdoctor's verdict, its reason). The 203 runs go
    side by side through the API, each scenario with its own name server, and each becomes
    the JSON document `domain --json` prints."""
    from smtpdoctor import api
    from smtpdoctor.views.document import document

    async def one(server: SuiteDNS, case: dict[str, Any], running: asyncio.Semaphore) -> dict[str, Any]:
        options = api.run_options({"dns_server": server.address, "timeout": 1})
        async with running:  # the name servers are Python threads: a few runs at a time
            report = await api.adomain(api.mapping_settings({}), sending_domain(case), options)
        return document(report, "en")

    async def every() -> dict[str, dict[str, Any]]:
        running = asyncio.Semaphore(8)
        with contextlib.ExitStack() as stack:
            servers = [stack.enter_context(SuiteDNS(records(s["zonedata"]))) for s in scenarios()]
            runs = {name: one(server, case, running)
                    for server, scenario in zip(servers, scenarios(), strict=True)
                    for name, case in scenario["tests"].items()}
            return dict(zip(runs, await asyncio.gather(*runs.values()), strict=True))

    docs = asyncio.run(every())
    return {name: (expected(case["result"]), *verdict(docs[name])) for _, name, case in cases()}


def test_the_suite_is_all_there() -> None:
    assert len(cases()) == 203
    assert sum(1 for _, _, c in cases() if c["result"] == "permerror") == 74


def test_every_structural_verdict_agrees_but_the_listed_ones(verdicts: dict[str, tuple[set[str], str, str]]) -> None:
    different = {name: f"suite {sorted(want)}, smtpdoctor {said} ({why})"
                 for name, (want, said, why) in verdicts.items() if said not in want}
    assert set(different) == set(DIFFERENT), "\n".join(f"{k}: {v}" for k, v in sorted(different.items()))


def test_every_permerror_of_the_suite_is_a_failed_spf(verdicts: dict[str, tuple[set[str], str, str]]) -> None:
    permerrors = {name for name, (want, _, _) in verdicts.items() if want == {"permerror"}}
    caught = {name for name in permerrors if verdicts[name][1] == "permerror"}
    assert caught == permerrors - set(DIFFERENT)


def test_an_answer_dnspython_refuses_is_said_as_what_it_is(smtpdoctor: Any, env_file: Any) -> None:
    """null-text's zone: an SPF record and, beside it, a TXT record with no strings. dnspython
    drops that answer as unreadable and waits on; smtpdoctor says what the server sent."""
    import time

    scenario = next(s for s in scenarios() if "null-text" in s["tests"])
    with SuiteDNS(records(scenario["zonedata"])) as server:
        started = time.monotonic()
        out = smtpdoctor("domain", "null.example.com", "--env-file", env_file(), "--dns-server", server.address,
                         "--timeout", "1")
        took = time.monotonic() - started
    said = " ".join(out.stdout.split())  # as read, whatever the wrapping
    if not dnspython_refuses_empty_txt():
        # dnspython 2.4 reads the empty record as one more TXT string: the SPF record is found.
        assert out.exit_code == 0 and "✓ spf" in said and "v=spf1 ip4:192.0.2.5 -all" in said
        return
    assert out.exit_code == 1
    assert "✗ spf" in said
    assert "null.example.com: the TXT answer cannot be read (the list of strings must not be empty)" in said
    assert "A TXT record with no strings at all (RFC 1035 requires at least one) does this" in said
    assert "fix: Remove the empty TXT record at null.example.com (keep the others)" in said
    assert "did not answer" not in said
    assert took < 1 + 0.5 + 1  # one --timeout, the 0.3 s second look, and the run's own time
