"""`smtpdoctor domain` and `check --domain`: the sending domain's MX, SPF, DKIM and DMARC,
against real records served by a name server on loopback."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.servers import PASSWORD, DNSServer


def dkim_record(bits: int) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    p = base64.b64encode(der).decode()
    text = f"v=DKIM1; k=rsa; p={p}"
    return " ".join(f'"{text[i:i + 200]}"' for i in range(0, len(text), 200))  # TXT strings of ≤255


def txt(*texts: str) -> dict[str, list[str]]:
    return {"TXT": [f'"{t}"' for t in texts]}


ZONE: dict[str, dict[str, list[str]]] = {
    # Tencent Exmail on a custom domain: everything right, no DKIM selector known.
    "acme-corp.cn": {"MX": ["10 mxbiz1.qq.com.", "20 mxbiz2.qq.com."], **txt("v=spf1 include:spf.mail.qq.com ~all")},
    "spf.mail.qq.com": txt("v=spf1 ip4:203.205.0.0/16 -all"),
    "_dmarc.acme-corp.cn": txt("v=DMARC1; p=quarantine; rua=mailto:dmarc@acme-corp.cn"),
    # Two SPF records.
    "two-spf.test": txt("v=spf1 include:spf.mail.qq.com ~all", "v=spf1 include:_spf.google.com -all"),
    # Past the lookup limit: 6 includes of 2 lookups each.
    "big.test": txt("v=spf1 " + " ".join(f"include:i{n}.big.test" for n in range(6)) + " ~all"),
    **{f"i{n}.big.test": txt("v=spf1 a mx -all") for n in range(6)},
    # +all.
    "open.test": txt("v=spf1 include:sendgrid.net +all"),
    "sendgrid.net": txt("v=spf1 ip4:167.89.0.0/17 -all"),
    # Names another provider (Google) while SendGrid sends; a 1024-bit key; no DMARC.
    "other.test": txt("v=spf1 include:_spf.google.com ~all"),
    "_spf.google.com": txt("v=spf1 ip4:35.190.247.0/24 ~all"),
    "s1._domainkey.other.test": {"TXT": []},
    # p=reject, a relay, no DKIM: DMARC fails for every message.
    "strict.test": txt("v=spf1 include:sendgrid.net ~all"),
    "_dmarc.strict.test": txt("v=DMARC1; p=reject"),
    # Includes of domains that have no SPF record any more.
    "stale.test": txt("v=spf1 include:gone1.test include:gone2.test include:gone3.test ~all"),
    # No SPF at all.
    "bare.test": {"MX": ["10 mx.bare.test."]},
    # RFC 7208: an include whose target has no SPF record (a typo) is a permerror.
    "typo.test": txt("v=spf1 include:sendgrid.net include:_spf.gogle.com ~all"),
    # Terms that are not terms.
    "moo.test": txt("v=spf1 -all moo"),
    "cidr.test": txt("v=spf1 ip4:1.2.3.4/33 -all"),
    "twice.test": txt("v=spf1 exp=a.twice.test exp=b.twice.test -all"),
    # A redirect beside an all mechanism is never reached (§6.1): not followed, not a loop.
    "self.test": txt("v=spf1 include:sendgrid.net -all redirect=self.test"),
    # Void lookups through a and mx, not only includes.
    "voids.test": txt("v=spf1 a:nx1.voids.test a:nx2.voids.test mx:nx3.voids.test include:sendgrid.net ~all"),
}
# Resend sends with send.<domain> as envelope sender: SPF aligns with the From domain only
# under relaxed alignment; strict.resend.test asks for strict (aspf=s).
for _name, _aspf in (("relaxed.resend.test", ""), ("strict.resend.test", "; aspf=s")):
    ZONE[f"send.{_name}"] = txt("v=spf1 include:amazonses.com ~all")
    ZONE[f"_dmarc.{_name}"] = txt(f"v=DMARC1; p=reject{_aspf}")
ZONE["amazonses.com"] = txt("v=spf1 ip4:199.255.192.0/22 ~all")
# A subdomain's policy is sp= of the organisational domain's record (RFC 7489 §6.3).
ZONE["_dmarc.sp.test"] = txt("v=DMARC1; p=none; sp=reject")
ZONE["mail.sp.test"] = txt("v=spf1 include:sendgrid.net ~all")
# The MX lookup never answers; the TXT ones do, slowly, through two levels of includes.
ZONE["mxsilent.test"] = txt("v=spf1 include:inc1.mxsilent.test -all")
ZONE["inc1.mxsilent.test"] = txt("v=spf1 include:sendgrid.net -all")
SLOW = {"mxsilent.test": 0.15, "inc1.mxsilent.test": 0.15}
# Mechanism names are case-insensitive; "include=" is an unknown modifier, not an include.
ZONE["upper.test"] = txt("v=spf1 Include:sendgrid.net MX -all")
ZONE["modifier.test"] = txt("v=spf1 include=gone.test include:sendgrid.net -all")
# The record at the subdomain itself: its p=, not the sp= it gives its own subdomains.
ZONE["_dmarc.mail.sp2.test"] = txt("v=DMARC1; p=none; sp=reject")
# Aliyun's older include (spf_also) lets its servers send: SPF aligns.
ZONE["ali.test"] = {"MX": ["10 mx1.mxhichina.com."], **txt("v=spf1 include:spf.mxhichina.com -all")}
ZONE["spf.mxhichina.com"] = txt("v=spf1 ip4:198.51.100.0/24 -all")
ZONE["_dmarc.ali.test"] = txt("v=DMARC1; p=reject")
# Google Workspace on a custom domain whose SPF forgot Google: nothing aligns.
ZONE["gw.test"] = {"MX": ["1 aspmx.l.google.com."], **txt("v=spf1 include:sendgrid.net -all")}
ZONE["_dmarc.gw.test"] = txt("v=DMARC1; p=reject")
# Tencent Exmail with no SPF include and p=reject: with no DKIM selector known, DKIM is unknown.
ZONE["ex.test"] = {"MX": ["10 mxbiz1.qq.com."], **txt("v=spf1 -all")}
ZONE["_dmarc.ex.test"] = txt("v=DMARC1; p=reject")
ZONE["s1._domainkey.other.test"] = {"TXT": [dkim_record(1024)]}
ZONE["s1._domainkey.good.test"] = {"TXT": [dkim_record(2048)]}
ZONE["good.test"] = txt("v=spf1 include:sendgrid.net -all")
ZONE["_dmarc.good.test"] = txt("v=DMARC1; p=reject; rua=mailto:d@good.test")


@pytest.fixture(scope="module")
def dns_server():
    with DNSServer({"localhost": ["127.0.0.1"]}, zone=ZONE, silent_types={("mxsilent.test", "MX")},
                   slow=SLOW) as server:
        yield server


@pytest.fixture
def domain(smtpdoctor, dns_server, env_file):
    def run_(name: str | None, *extra: str, **settings: object):
        env = env_file(**settings) if settings else env_file(SMTP_FROM="nobody@example.invalid")
        args = ["domain", *([name] if name else []), "--env-file", env, "--dns-server", dns_server.address,
                "--timeout", "3", "--json", *extra]
        return smtpdoctor(*args)
    return run_


def probe(out, name: str) -> dict:
    return out.probe(name)


def test_a_custom_exmail_domain_is_found_by_mx_and_passes(domain):
    out = domain("acme-corp.cn")
    assert out.doc["domain"] == "acme-corp.cn"
    assert out.exit_code == 0, out.doc
    assert probe(out, "mx")["summary"] == "acme-corp.cn MX mxbiz1.qq.com → Tencent Exmail"
    assert probe(out, "spf")["summary"] == "v=spf1 include:spf.mail.qq.com ~all (1 DNS lookups)"
    dkim = probe(out, "dkim")
    assert dkim["status"] == "warn" and dkim["warning"]["reason"] == "domain.dkim_selector_unknown"
    assert "s= tag" in dkim["remedy"] and "--dkim-selector" in dkim["remedy"]
    assert probe(out, "dmarc")["summary"] == "_dmarc.acme-corp.cn: p=quarantine, rua=mailto:dmarc@acme-corp.cn"


def test_the_domain_defaults_to_the_senders(domain):
    out = domain(None, SMTP_HOST="smtp.exmail.qq.com", SMTP_USER="ops@acme-corp.cn", SMTP_PASSWORD=PASSWORD)
    assert out.doc["domain"] == "acme-corp.cn" and out.exit_code == 0


def test_two_spf_records_are_a_permanent_error_merged_into_one(domain):
    out = domain("two-spf.test", "--provider", "exmail")
    spf = probe(out, "spf")
    assert spf["error"]["reason"] == "domain.spf_multiple" and spf["error"]["code"] == "EDOMAIN"
    record = spf["remedy"].split("record: ")[1]
    assert sorted(record.split()) == sorted(["v=spf1", "include:spf.mail.qq.com", "include:_spf.google.com", "~all"])
    assert record.endswith(" ~all")
    assert out.exit_code == 1


def test_past_the_lookup_limit_counted_through_includes(domain):
    spf = probe(domain("big.test"), "spf")
    assert spf["error"]["reason"] == "domain.spf_too_many_lookups"
    assert "needs 11 DNS lookups" in spf["error"]["message"] or "needs 12 DNS lookups" in spf["error"]["message"]


def test_plus_all_is_refused_with_the_record_to_publish(domain):
    spf = probe(domain("open.test", SMTP_HOST="smtp.sendgrid.net", SMTP_FROM="a@open.test"), "spf")
    assert spf["error"]["reason"] == "domain.spf_pass_all"
    assert "v=spf1 include:sendgrid.net ~all" in spf["remedy"]


def test_an_spf_record_naming_another_provider_gets_the_merged_record(domain):
    out = domain(None, SMTP_HOST="smtp.sendgrid.net", SMTP_USER="apikey", SMTP_PASSWORD="SG.x",
                 SMTP_FROM="news@other.test")
    spf = probe(out, "spf")
    assert spf["error"]["reason"] == "domain.spf_provider_missing"
    assert "v=spf1 include:_spf.google.com include:sendgrid.net ~all" in spf["remedy"]
    dkim = probe(out, "dkim")
    assert dkim["warning"]["reason"] == "domain.dkim_weak_key" and "1024 bits" in dkim["warning"]["message"]
    assert dkim["details"]["bits"] == 1024
    dmarc = probe(out, "dmarc")
    assert dmarc["warning"]["reason"] == "domain.dmarc_missing"
    assert "5,000" in dmarc["warning"]["message"] and "_dmarc.other.test" in dmarc["remedy"]


def test_dmarc_reject_without_alignment_fails_with_the_dkim_to_publish(domain):
    out = domain("strict.test", SMTP_HOST="smtp.sendgrid.net", SMTP_FROM="a@strict.test")
    dmarc = probe(out, "dmarc")
    assert dmarc["error"]["reason"] == "domain.dmarc_unaligned"
    assert "s1._domainkey.strict.test" in dmarc["remedy"]
    assert probe(out, "dkim")["error"]["reason"] == "domain.dkim_missing"


def test_strict_spf_alignment_fails_where_relaxed_passes(domain):
    """Resend's envelope domain is send.<domain>: aspf=r aligns it with the From domain, aspf=s
    does not, and with no DKIM key the mail fails DMARC (RFC 7489 §3.1.2)."""
    relaxed = domain("relaxed.resend.test", SMTP_HOST="smtp.resend.com", SMTP_FROM="a@relaxed.resend.test")
    assert probe(relaxed, "dmarc")["status"] == "pass", relaxed.doc["probes"]
    strict = domain("strict.resend.test", SMTP_HOST="smtp.resend.com", SMTP_FROM="a@strict.resend.test")
    dmarc = probe(strict, "dmarc")
    assert dmarc["error"]["reason"] == "domain.dmarc_unaligned"
    assert ("its SPF domain send.strict.resend.test aligns with strict.resend.test only under relaxed "
            "alignment, and the record asks for strict (aspf=s)") in dmarc["error"]["message"]
    assert "resend._domainkey.strict.resend.test" in dmarc["remedy"]


def test_a_subdomain_gets_the_organisations_subdomain_policy(domain):
    out = domain("mail.sp.test", SMTP_HOST="smtp.sendgrid.net", SMTP_FROM="a@mail.sp.test")
    dmarc = probe(out, "dmarc")
    assert dmarc["summary"].startswith("_dmarc.sp.test: sp=reject (its subdomains' policy)")
    assert dmarc["error"]["reason"] == "domain.dmarc_unaligned"
    # A record at the subdomain itself is that domain's own: p=none, whatever its sp= says.
    own = domain("mail.sp2.test", SMTP_HOST="smtp.sendgrid.net", SMTP_FROM="a@mail.sp2.test")
    assert probe(own, "dmarc")["summary"].startswith("_dmarc.mail.sp2.test: p=none")
    assert probe(own, "dmarc")["warning"]["reason"] == "domain.dmarc_monitoring"


def test_dmarc_alignment_counts_a_providers_older_include(domain):
    out = domain("ali.test", "--dkim-selector", "s1")
    assert probe(out, "spf")["status"] == "pass"
    assert probe(out, "dkim")["error"]["reason"] == "domain.dkim_missing"
    assert probe(out, "dmarc")["status"] == "pass", probe(out, "dmarc")


def test_a_mailbox_domain_whose_spf_forgot_the_provider_says_so(domain):
    dmarc = probe(domain("gw.test"), "dmarc")
    assert dmarc["error"]["reason"] == "domain.dmarc_unaligned"
    assert ("its mail leaves with gw.test as the envelope sender, but the SPF record of gw.test does not "
            "let Gmail's servers send") in " ".join(dmarc["error"]["message"].split())


def test_with_no_dkim_selector_known_dmarc_claims_no_failure(domain):
    """Exmail publishes no selector: whether a key signs is unknown, so p=reject is not called
    a failure on SPF alone (the dkim probe says what it could not check)."""
    out = domain("ex.test")
    assert probe(out, "dkim")["warning"]["reason"] == "domain.dkim_selector_unknown"
    assert probe(out, "dmarc")["status"] == "pass"


def test_a_lookup_that_fails_fails_only_its_probe(domain):
    """The MX query is dropped while the TXT answers take 0.15 s a level: the MX lookup may use
    half the time, so the SPF walk still ends with an answer."""
    out = domain("mxsilent.test", "--timeout", "1", SMTP_HOST="smtp.sendgrid.net", SMTP_FROM="a@mxsilent.test")
    assert probe(out, "mx")["error"]["reason"] == "domain.lookup_failed"
    assert probe(out, "spf")["status"] == "pass"
    assert probe(out, "dmarc")["warning"]["reason"] == "domain.dmarc_missing"


def test_a_well_set_relay_domain_passes(domain):
    out = domain("good.test", SMTP_HOST="smtp.sendgrid.net", SMTP_FROM="a@good.test")
    assert out.exit_code == 0, out.doc["probes"]
    assert probe(out, "dkim")["summary"] == "selector s1: rsa key, 2048 bits"


def test_includes_of_domains_that_are_gone_are_a_permerror_at_the_first(domain):
    # RFC 7208 §5.2: the first include that finds no SPF record ends the evaluation.
    spf = probe(domain("stale.test"), "spf")
    assert spf["error"]["reason"] == "domain.spf_include_missing"
    assert "includes gone1.test" in spf["error"]["message"]


def test_no_spf_gets_the_record_to_publish(domain):
    spf = probe(domain("bare.test", SMTP_HOST="smtp.exmail.qq.com", SMTP_FROM="a@bare.test"), "spf")
    assert spf["error"]["reason"] == "domain.spf_missing"
    assert "v=spf1 include:spf.mail.qq.com ~all" in spf["remedy"]


def test_free_mail_senders_are_skipped(domain):
    out = domain(None, SMTP_HOST="smtp.qq.com", SMTP_USER="123456@qq.com", SMTP_PASSWORD=PASSWORD)
    assert out.exit_code == 0
    assert {p["status"] for p in out.doc["probes"]} == {"skip"}
    assert "qq.com is QQ Mail's own domain" in out.doc["probes"][0]["summary"]


def test_no_domain_is_exit_2(smtpdoctor, env_file):
    out = smtpdoctor("domain", "--env-file", env_file(SMTP_HOST="smtp.qq.com"), "--json")
    assert out.exit_code == 2 and out.doc["findings"][0]["reason"] == "config.no_domain"


def test_a_silent_name_server_is_bounded(smtpdoctor, env_file):
    import time

    with DNSServer(silent={"slow.test"}) as silent:
        started = time.monotonic()
        out = smtpdoctor("domain", "slow.test", "--env-file", env_file(SMTP_FROM="a@slow.test"),
                         "--dns-server", silent.address, "--timeout", "1", "--json")
        took = time.monotonic() - started
    assert out.exit_code == 1
    assert out.doc["probes"][0]["error"]["reason"] == "domain.lookup_failed"
    assert took < 3


def test_check_domain_adds_the_probes_after_the_envelope(starttls_server, smtpdoctor, ca_file, dns_server, env_file):
    env = env_file(SMTP_HOST="localhost", SMTP_PORT=starttls_server.port, SMTP_USER="dev@example.com",
                   SMTP_PASSWORD=PASSWORD, SMTP_FROM="dev@example.com")
    plain = smtpdoctor("check", "--env-file", env, "--ca-file", ca_file, "--alt-ports", "none", "--json")
    out = smtpdoctor("check", "--env-file", env, "--ca-file", ca_file, "--alt-ports", "none", "--json",
                     "--domain", "--dns-server", dns_server.address)
    names = [p["name"] for p in out.doc["probes"]]
    assert names == [p["name"] for p in plain.doc["probes"]] + ["mx", "spf", "dkim", "dmarc"]
    assert out.doc["domain"] == "example.com"


def test_chinese_domain_report(domain):
    out = domain("two-spf.test", "--provider", "exmail", "--lang", "zh")
    assert "有 2 条 SPF 记录" in probe(out, "spf")["summary"]
    assert "请合并为这一条 TXT 记录" in probe(out, "spf")["remedy"]


def test_a_chinese_report_names_the_provider_in_chinese(domain):
    out = domain("acme-corp.cn", "--lang", "zh")
    assert probe(out, "mx")["summary"].endswith("→ 腾讯企业邮")
    assert "Tencent Exmail" not in str(out.doc)


# --- provider by MX, outside `domain` ---------------------------------------------------------------

def test_a_mail_domain_as_the_host_gets_the_providers_host_once_verified(ca, smtpdoctor, env_file, ca_file, smtp_server):
    """SMTP_HOST=acme-corp.cn: its MX names Exmail, and the fix (Exmail's submission host) is
    offered only after a trial through the app's variables reached it and logged in."""
    from tests.conftest import server_context

    exmail_tls = server_context(ca, "smtp.exmail.qq.com")
    server = smtp_server("starttls", exmail_tls)
    with DNSServer({"smtp.exmail.qq.com": ["127.0.0.1"]}, zone=ZONE) as dns:
        env = env_file(SMTP_HOST="acme-corp.cn", SMTP_PORT=server.port, SMTP_USER="dev@example.com",
                       SMTP_PASSWORD=PASSWORD)
        out = smtpdoctor("check", "--env-file", env, "--dns-server", dns.address, "--ca-file", ca_file,
                         "--alt-ports", "none", "--json")
    probe = out.probe("dns")
    assert probe["error"]["reason"] == "dns.no_address"
    assert probe["remedy"] == (
        "acme-corp.cn is a mail domain, not a mail server: its MX belongs to Tencent Exmail, whose submission "
        "host is smtp.exmail.qq.com. Set SMTP_HOST=smtp.exmail.qq.com. Verified in this run: "
        "smtp.exmail.qq.com answered and accepted the login.")
    assert "smtp.acme-corp.cn" not in probe["remedy"]  # the host that does not exist
    assert out.doc["fixes"][0]["changes"] == {"SMTP_HOST": "smtp.exmail.qq.com"}
    assert {p["status"] for p in out.doc["fixes"][0]["probes"]} == {"pass"}
    assert out.exit_code == 1  # the settings as given still fail


def test_an_unverified_mail_domain_fix_is_not_offered(check, env_file, dns_server):
    env = env_file(SMTP_HOST="acme-corp.cn", SMTP_PORT=465, SMTP_USER="ops@acme-corp.cn", SMTP_PASSWORD=PASSWORD)
    probe = check(env, "--dns-server", dns_server.address).probe("dns")
    assert "its MX belongs to Tencent Exmail" in probe["remedy"]
    assert "Set SMTP_HOST" not in probe["remedy"]
    assert "Tried: smtp.exmail.qq.com" in probe["remedy"]


def test_a_website_host_without_smtp_points_to_the_mail_provider(check, env_file):
    from tests.servers import closed_port

    with DNSServer({"shop.test": ["127.0.0.1"]}, zone={"shop.test": {"MX": ["10 mxbiz1.qq.com."]}}) as dns:
        env = env_file(SMTP_HOST="shop.test", SMTP_PORT=closed_port(), SMTP_USER="ops@shop.test",
                       SMTP_PASSWORD=PASSWORD)
        out = check(env, "--dns-server", dns.address)
    probe = out.probe("tcp")
    assert probe["error"]["reason"] == "tcp.refused"
    assert "shop.test is a mail domain, not a mail server: its MX belongs to Tencent Exmail" in probe["remedy"]
    assert "Tried: smtp.exmail.qq.com" in probe["remedy"]  # unresolvable here: no fix is offered


def test_a_login_on_a_custom_domain_gets_its_mx_providers_remedy(good_tls, check, env_file, dns_server, smtp_server):
    server = smtp_server("starttls", good_tls, auth_reply="535 Error: authentication failed", password="other")
    env = env_file(SMTP_HOST="localhost", SMTP_PORT=server.port, SMTP_USER="ops@acme-corp.cn",
                   SMTP_PASSWORD=PASSWORD)
    with_mx = check(env, "--dns-server", dns_server.address)
    probe = with_mx.probe("auth")
    assert probe["error"]["reason"] == "auth.bad_credentials"
    assert "客户端专用密码" in probe["remedy"] and "Exmail refused the login for ops@acme-corp.cn" in probe["remedy"]


def test_until_stops_before_the_domain_probes(starttls_server, smtpdoctor, ca_file, dns_server, env_file):
    env = env_file(SMTP_HOST="localhost", SMTP_PORT=starttls_server.port, SMTP_USER="dev@example.com",
                   SMTP_PASSWORD=PASSWORD)
    out = smtpdoctor("check", "--env-file", env, "--ca-file", ca_file, "--alt-ports", "none", "--json",
                     "--domain", "--dns-server", dns_server.address, "--until", "smtp")
    assert [(p["name"], p["status"]) for p in out.doc["probes"][-4:]] == [
        ("mx", "skip"), ("spf", "skip"), ("dkim", "skip"), ("dmarc", "skip")]
    assert out.exit_code == 0


# --- names no lookup can be made for: exit 2, never an internal error (found by a sweep) ----------

@pytest.mark.parametrize(("argv", "words"), [
    (["domain", "a..b"], "'a..b' is not a domain name: A DNS label is empty"),
    (["domain", "a" * 64 + ".com"], "is not a domain name: A DNS label is > 63 octets long"),
    (["domain", "example.com", "--dkim-selector", ""], "'' is not a DKIM selector: it is empty"),
    (["check", "--domain", "--dkim-selector", "s1..x"], "'s1..x' is not a DKIM selector"),
])
def test_a_name_that_cannot_be_looked_up_is_a_usage_error(env_file, argv, words):
    from tests.console import no_traceback, run

    env = env_file(SMTP_HOST="localhost", SMTP_USER="dev@example.com", SMTP_PASSWORD=PASSWORD)
    out = run(*argv, "--env-file", env, "--json")  # the console script: usage errors are main()'s
    assert out.code == 2
    assert out.doc["findings"][0]["reason"] == "config.usage"
    assert words in out.doc["findings"][0]["message"]
    no_traceback(out)


def test_a_login_whose_domain_cannot_be_looked_up_is_a_config_error(smtpdoctor, env_file):
    env = env_file(SMTP_HOST="localhost", SMTP_USER="dev@example..com", SMTP_PASSWORD=PASSWORD)
    for argv in (["domain"], ["check", "--domain", "--alt-ports", "none"]):
        out = smtpdoctor(*argv, "--env-file", env, "--json")
        assert out.exit_code == 2
        finding = next(f for f in out.doc["findings"] if f["reason"] == "config.bad_domain")
        assert finding["message"] == "The sending domain example..com cannot be looked up: A DNS label is empty."
        assert all(p["status"] == "skip" for p in out.doc["probes"])  # found before any probe


def test_a_sender_whose_domain_is_no_domain_is_not_an_address(smtpdoctor, env_file):
    env = env_file(SMTP_HOST="localhost", SMTP_USER="dev@example.com", SMTP_PASSWORD=PASSWORD,
                   SMTP_FROM="App <app@example..com>")
    out = smtpdoctor("config", "--env-file", env, "--json")
    assert "config.bad_sender" in [f["reason"] for f in out.doc["findings"]]


def test_an_unknown_provider_is_said_as_your_provider(domain):
    """A sending domain whose provider smtpdoctor does not know: never "cannot tell 's servers"."""
    out = domain("bare.test", SMTP_HOST="mail.bare.test", SMTP_FROM="a@bare.test")
    spf = probe(out, "spf")
    assert spf["error"]["reason"] == "domain.spf_missing"
    assert "cannot tell your provider's servers from forgers" in spf["error"]["message"]
    assert "'s " not in spf["error"]["message"].replace("provider's", "")
    zh = probe(domain("bare.test", "--lang", "zh", SMTP_HOST="mail.bare.test", SMTP_FROM="a@bare.test"), "spf")
    assert "你的服务商" in zh["error"]["message"]


# The answers tldextract 5.3 (with its bundled list, ICANN section) gave before publicsuffixlist
# replaced it: the same organisational domains.
@pytest.mark.parametrize(("domain", "organisational"), [
    ("mail.acme-corp.com.cn", "acme-corp.com.cn"), ("sub.example.co.uk", "example.co.uk"),
    ("qq.com", "qq.com"), ("smtp.163.com", "163.com"), ("a.b.github.io", "github.io"),
    ("x.y.z.ck", "y.z.ck"), ("www.ck", "www.ck"), ("city.kawasaki.jp", "city.kawasaki.jp"),
    ("a.b.c.amazonaws.com", "amazonaws.com"), ("straße.de", "straße.de"),
    ("localhost", "localhost"),  # no public suffix: the domain itself
])
def test_the_organisational_domain_is_the_public_suffix_lists(domain: str, organisational: str) -> None:
    from smtpdoctor.probes.records import organisational_domain

    assert organisational_domain(domain) == organisational


@pytest.mark.parametrize(("name", "term", "why"), [
    ("moo.test", "moo", "not an SPF mechanism or modifier"),
    ("cidr.test", "ip4:1.2.3.4/33", "not an ip4 address or network"),
    ("twice.test", "exp=b.twice.test", "exp= appears twice"),
])
def test_an_spf_term_that_is_no_term_is_a_permerror(domain, name, term, why):
    spf = probe(domain(name), "spf")
    assert (spf["error"]["code"], spf["error"]["reason"]) == ("EDOMAIN", "domain.spf_syntax")
    assert f'broken at "{term}": {why}' in spf["error"]["message"]


def test_an_include_of_a_domain_without_spf_is_a_permerror_not_a_pass(domain):
    out = domain("typo.test", SMTP_HOST="smtp.sendgrid.net", SMTP_FROM="a@typo.test")
    spf = probe(out, "spf")
    assert spf["error"]["reason"] == "domain.spf_include_missing"
    assert "includes _spf.gogle.com, which has no SPF record" in " ".join(spf["error"]["message"].split())
    assert out.exit_code == 1


def test_a_redirect_beside_all_is_not_followed(domain):
    out = domain("self.test", SMTP_HOST="smtp.sendgrid.net", SMTP_FROM="a@self.test")
    spf = probe(out, "spf")
    assert spf["status"] == "pass", (spf["error"], spf["remedy"])
    assert spf["details"]["lookups"] == 1  # the include; the redirect is never reached


def test_void_lookups_through_a_and_mx_count(domain):
    spf = probe(domain("voids.test", SMTP_HOST="smtp.sendgrid.net", SMTP_FROM="a@voids.test"), "spf")
    assert spf["error"]["reason"] == "domain.spf_void_lookups"
    assert "makes 3 lookups that find nothing" in spf["error"]["message"]


@pytest.mark.parametrize("ignored", ["--port", "--security", "--user", "--client"])
def test_domain_takes_only_its_own_options(smtpdoctor, ignored):
    out = smtpdoctor("domain", "acme-corp.cn", ignored, "x")
    assert out.exit_code == 2 and "No such option" in out.stderr and ignored in out.stderr


def test_domain_says_the_domain_and_who_sends_and_honours_quiet_and_verbose(smtpdoctor, dns_server, env_file):
    env = env_file(SMTP_FROM="nobody@example.invalid")
    common = ["domain", "acme-corp.cn", "--env-file", env, "--dns-server", dns_server.address, "--timeout", "3"]
    out = smtpdoctor(*common)
    first = out.stdout.splitlines()[0]
    assert first == "smtpdoctor domain  acme-corp.cn · sent by Tencent Exmail"
    assert "client:" not in out.stdout and "no problems found" not in out.stdout
    verbose = smtpdoctor(*common, "-v")
    assert "record: v=spf1 include:spf.mail.qq.com ~all" in verbose.stdout
    quiet = smtpdoctor(*common, "-q", "--max-time", "20")
    assert quiet.exit_code == out.exit_code == 0 and quiet.stdout == ""


@pytest.mark.parametrize("name", ["upper.test", "modifier.test"])
def test_valid_records_rfc_7208_allows_pass(domain, name):
    out = domain(name, SMTP_HOST="smtp.sendgrid.net", SMTP_FROM=f"a@{name}")
    spf = probe(out, "spf")
    assert spf["status"] == "pass", (spf["error"], spf["remedy"])


@pytest.mark.parametrize(("record", "broken"), [
    ("v=spf1 Include:_spf.google.com A MX/24 -ALL", None),
    ("v=spf1 exists:%{iR}.%{D2}.example.com -all", None),
    ("v=spf1 a:mail.example.com:8 -all", "a:mail.example.com:8"),
    ("v=spf1 ip6:fe80::1%eth0 -all", "ip6:fe80::1%eth0"),
    ("v=spf1 a:111.222.33.44 -all", "a:111.222.33.44"),
    ("v=spf1 exp=%{r}.example.com -all", "exp=%{r}.example.com"),
])
def test_the_grammar_of_terms(record, broken):
    from smtpdoctor.probes.records import spf_syntax_problem

    problem = spf_syntax_problem(record)
    assert (problem.term if problem else None) == broken


def test_a_record_built_to_make_a_regex_backtrack_is_read_at_once():
    """A TXT record may be 64 KB: every pattern is linear in its length (a domain-spec that
    fails at its end once took seconds at 20 KB, holding the event loop)."""
    import time

    from smtpdoctor.probes.records import spf_syntax_problem

    started = time.perf_counter()
    for record in ("v=spf1 a:x." + "a1" * 30000 + "/1/1", "v=spf1 include:" + "a." * 30000 + "-all"):
        assert spf_syntax_problem(record) is not None
    assert time.perf_counter() - started < 2  # quadratic backtracking takes minutes here


def test_a_yxdomain_answer_is_no_record_not_a_crash(smtpdoctor, env_file):
    """YXDOMAIN (a DNAME made the name too long) means the name exists nowhere."""
    zone = {"dname.test": txt("v=spf1 include:long.dname.test -all")}
    with DNSServer(zone=zone, rcodes={"long.dname.test": "YXDOMAIN"}) as server:
        out = smtpdoctor("domain", "dname.test", "--env-file", env_file(SMTP_FROM="a@dname.test"),
                         "--dns-server", server.address, "--timeout", "2", "--json")
    assert out.exit_code == 1 and "Traceback" not in out.stderr
    assert probe(out, "spf")["error"]["reason"] == "domain.spf_include_missing"
