"""send-test --confirm against real parts: the loopback SMTP server files each accepted
message into a real IMAP server (pymap) — INBOX, Junk, 垃圾邮件, or nowhere."""

from __future__ import annotations

import time

import pytest

from tests.imap_server import Delivering, IMAPServer
from tests.servers import PASSWORD, USER, SMTPServer, closed_port

IMAP_PASSWORD = "imap-Secret-42"


@pytest.fixture(scope="module")
def imap_cert(ca, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("imap") / "cert.pem"
    ca.issue_cert("localhost", "127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def mailbox(imap_cert, ca_file):
    def start(folders: tuple[str, ...] = ("Junk",)) -> IMAPServer:
        return IMAPServer(USER, IMAP_PASSWORD, imap_cert, ca_file, folders)
    return start


@pytest.fixture
def confirm(smtpdoctor, env_file, ca_file):
    def run_(smtp_port: int, imap_port: int, *extra: str, imap_password: str = IMAP_PASSWORD,
             recipient: str = USER, timeout: str = "10"):
        env = env_file(SMTP_HOST="localhost", SMTP_PORT=smtp_port, SMTP_USER=USER, SMTP_PASSWORD=PASSWORD,
                       IMAP_HOST="localhost", IMAP_PORT=imap_port, IMAP_USER=USER, IMAP_PASSWORD=imap_password)
        return smtpdoctor("send-test", recipient, "--confirm", "--confirm-timeout", timeout, "--env-file", env,
                          "--ca-file", ca_file, "--alt-ports", "none", "--json", *extra)
    return run_


def test_a_message_in_the_inbox_is_found_reported_and_deleted(good_tls, mailbox, confirm):
    with mailbox() as imap, SMTPServer("starttls", good_tls, handler=Delivering(imap=imap, delay=0.5)) as smtp:
        out = confirm(smtp.port, imap.port)
        left = imap.messages("INBOX")
    assert out.exit_code == 0, out.doc["probes"][-1]
    probe = out.probe("delivery")
    # In INBOX, but the receiver's DMARC failed: a warning that names it.
    assert probe["status"] == "warn" and probe["warning"]["reason"] == "delivery.verdict_failed"
    assert "dmarc check failed" in probe["warning"]["message"]
    assert probe["remedy"] == ("Run smtpdoctor domain example.com and publish the records it gives, "
                               "then send the test again.")
    details = probe["details"]
    assert details["folder"] == "INBOX" and details["deleted"] is True
    assert details["latency_ms"] >= 400
    assert (details["spf_verdict"], details["dkim_verdict"], details["dmarc_verdict"]) == ("pass", "none", "fail")
    assert "spf=pass" in details["authentication_results"]
    assert left == 0  # flagged \Deleted and expunged by UID


def test_keep_leaves_the_message(good_tls, mailbox, confirm):
    with mailbox() as imap, SMTPServer("starttls", good_tls, handler=Delivering(imap=imap)) as smtp:
        out = confirm(smtp.port, imap.port, "--keep")
        left = imap.messages("INBOX")
    assert out.exit_code == 0 and out.probe("delivery")["details"]["deleted"] is False
    assert left == 1


@pytest.mark.parametrize("junk", ["Junk", "垃圾邮件"])
def test_a_message_in_junk_fails_with_the_remedies(good_tls, mailbox, confirm, junk):
    with mailbox((junk,)) as imap, \
            SMTPServer("starttls", good_tls, handler=Delivering(imap=imap, folder=junk)) as smtp:
        out = confirm(smtp.port, imap.port)
    probe = out.probe("delivery")
    assert out.exit_code == 1
    assert (probe["error"]["code"], probe["error"]["reason"]) == ("EDELIVERY", "delivery.junk")
    assert probe["details"]["folder"] == junk  # the Chinese name round-trips through modified UTF-7
    # The receiver's DMARC failed (its Authentication-Results): that is the advice, with the domain.
    assert probe["remedy"].startswith("The receiver's dmarc check failed, and that alone can file")
    assert "run smtpdoctor domain example.com and publish the records it gives" in probe["remedy"]


ALL_PASSED = ("Authentication-Results: mx.receiver.test; spf=pass smtp.mailfrom=dev@example.com; "
              "dkim=pass header.d=example.com; dmarc=pass header.from=example.com\r\n")


def test_junk_with_every_check_passed_points_at_content_not_records(good_tls, mailbox, confirm):
    with mailbox() as imap, SMTPServer("starttls", good_tls, handler=Delivering(
            imap=imap, folder="Junk", results=ALL_PASSED)) as smtp:
        out = confirm(smtp.port, imap.port)
    probe = out.probe("delivery")
    assert probe["error"]["reason"] == "delivery.junk"
    assert probe["remedy"].startswith("SPF, DKIM and DMARC all passed at the receiver, so the records are not")
    assert "smtpdoctor domain" not in probe["remedy"]


def test_junk_from_a_free_mail_address_through_another_service(good_tls, mailbox, smtpdoctor, env_file, ca_file):
    with mailbox() as imap, SMTPServer("starttls", good_tls, handler=Delivering(imap=imap, folder="Junk")) as smtp:
        env = env_file(SMTP_HOST="localhost", SMTP_PORT=smtp.port, SMTP_USER=USER, SMTP_PASSWORD=PASSWORD,
                       SMTP_FROM="ops@qq.com", IMAP_HOST="localhost", IMAP_PORT=imap.port, IMAP_USER=USER,
                       IMAP_PASSWORD=IMAP_PASSWORD)
        runs = {lang: smtpdoctor("send-test", USER, "--confirm", "--confirm-timeout", "10", "--env-file", env,
                                 "--ca-file", ca_file, "--alt-ports", "none", "--json", "--lang", lang)
                for lang in ("en", "zh")}
    # Not "publish records for qq.com": nobody but QQ can. The sender is the thing to change.
    assert runs["en"].probe("delivery")["remedy"].startswith(
        "ops@qq.com is a QQ Mail address, but the message went through localhost: only QQ Mail's own servers")
    assert runs["zh"].probe("delivery")["remedy"].startswith(
        "ops@qq.com 是 QQ 邮箱的地址，但邮件经 localhost 发出：只有 QQ 邮箱自己的服务器")


def test_a_message_that_never_arrives(good_tls, mailbox, confirm):
    with mailbox() as imap, SMTPServer("starttls", good_tls, handler=Delivering(imap=imap, folder=None)) as smtp:
        started = time.monotonic()
        out = confirm(smtp.port, imap.port, timeout="2")
        took = time.monotonic() - started
    probe = out.probe("delivery")
    assert probe["error"]["reason"] == "delivery.not_arrived"
    assert "dropped silently" in probe["error"]["message"]
    assert took < 6


def test_max_time_bounds_the_wait(good_tls, mailbox, confirm):
    with mailbox() as imap, SMTPServer("starttls", good_tls, handler=Delivering(imap=imap, folder=None)) as smtp:
        started = time.monotonic()
        out = confirm(smtp.port, imap.port, "--max-time", "3", timeout="60")
        took = time.monotonic() - started
    assert out.exit_code == 1 and out.probe("delivery")["status"] == "fail"
    assert took < 4.5


def test_a_refused_imap_login_and_no_password_in_the_output(good_tls, mailbox, confirm):
    with mailbox() as imap, SMTPServer("starttls", good_tls, handler=Delivering(imap=imap)) as smtp:
        out = confirm(smtp.port, imap.port, "-v", imap_password="wrong-imap-pass")
    probe = out.probe("delivery")
    assert probe["error"]["reason"] == "delivery.imap_login"
    assert "授权码" in probe["remedy"]
    assert "wrong-imap-pass" not in out.stdout and PASSWORD not in out.stdout


def test_an_unreachable_imap_server(starttls_server, confirm):
    out = confirm(starttls_server.port, closed_port())
    assert out.probe("delivery")["error"]["reason"] == "delivery.imap_unavailable"


def test_confirm_without_a_known_mailbox_is_exit_2(smtpdoctor, env_file):
    env = env_file(SMTP_HOST="smtp.qq.com", SMTP_USER="123456@qq.com", SMTP_PASSWORD="abcdefghijklmnop")
    out = smtpdoctor("send-test", "friend@example.com", "--confirm", "--env-file", env, "--json")
    assert out.exit_code == 2
    assert "config.confirm_no_mailbox" in [f["reason"] for f in out.doc["findings"]]


def test_sending_to_yourself_uses_the_providers_imap_server(smtpdoctor, env_file):
    """No IMAP_* variables: the login's own mailbox, at the provider's IMAP host (offline: stop before
    the network and look at the plan)."""
    from smtpdoctor.config.preflight import resolve_mapping
    from smtpdoctor.runner.check import confirm_mailbox

    preflight = resolve_mapping({"SMTP_HOST": "smtp.qq.com", "SMTP_USER": "123456@qq.com",
                                 "SMTP_PASSWORD": "abcdefghijklmnop"})
    box = confirm_mailbox(preflight, ("123456@qq.com",))
    assert box is not None and (box.host, box.port, box.user, box.source) == ("imap.qq.com", 993, "123456@qq.com", "qq")
    assert confirm_mailbox(preflight, ("someone@else.com",)) is None


def test_the_junk_folder_is_the_special_use_one_else_a_providers_name():
    from smtpdoctor.wire.imap import junk_folder

    listed = [((b"\\HasNoChildren",), b"/", "INBOX"), ((b"\\HasNoChildren", b"\\Junk"), b"/", "Werbung"),
              ((b"\\HasNoChildren",), b"/", "Spam")]
    assert junk_folder(listed) == "Werbung"  # SPECIAL-USE (RFC 6154) wins over a name
    assert junk_folder([((), b"/", "INBOX"), ((), b"/", "[Gmail]/Spam")]) == "[Gmail]/Spam"
    assert junk_folder([((), b"/", "INBOX"), ((), b"/", "垃圾邮件")]) == "垃圾邮件"
    assert junk_folder([((), b"/", "INBOX")]) is None


def test_an_imap_port_that_is_not_a_number_is_exit_2(smtpdoctor, env_file):
    env = env_file(SMTP_HOST="smtp.qq.com", SMTP_USER="123456@qq.com", SMTP_PASSWORD="abcdefghijklmnop",
                   IMAP_HOST="imap.qq.com", IMAP_PORT="99x3")
    out = smtpdoctor("send-test", "123456@qq.com", "--confirm", "--env-file", env, "--json")
    assert out.exit_code == 2
    finding = next(f for f in out.doc["findings"] if f["reason"] == "config.bad_port")
    assert finding["message"] == "IMAP_PORT=99x3 is not a port number (1–65535)."


def test_without_the_confirm_extra_nothing_is_sent_and_it_says_what_to_install(good_tls, env_file, ca_file,
                                                                              tmp_path):
    """The README's plain install has no imapclient: --confirm must refuse before the message goes
    out (it used to send, then crash with ModuleNotFoundError)."""
    import subprocess
    import sys

    with SMTPServer("starttls", good_tls) as server:
        env = env_file(SMTP_HOST="localhost", SMTP_PORT=server.port, SMTP_USER=USER, SMTP_PASSWORD=PASSWORD,
                       IMAP_HOST="localhost", IMAP_PORT=993, IMAP_USER=USER, IMAP_PASSWORD=IMAP_PASSWORD)
        blocker = ("import sys, importlib.util\n"
                   "real = importlib.util.find_spec\n"
                   "importlib.util.find_spec = lambda name, *a: None if name == 'imapclient' else real(name, *a)\n"
                   "sys.modules['imapclient'] = None\n"
                   "from smtpdoctor.cli import main\n"
                   f"sys.argv = ['smtpdoctor', 'send-test', {USER!r}, '--confirm', '--env-file', {str(env)!r},"
                   f" '--ca-file', {ca_file!r}, '--alt-ports', 'none']\n"
                   "main()\n")
        done = subprocess.run([sys.executable, "-c", blocker], capture_output=True, text=True, timeout=60,
                              check=False)
        sent = len(server.handler.received)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and sent == 0
    said = " ".join(done.stdout.split())
    assert "--confirm needs imapclient, which this install does not have (the confirm extra); nothing was sent." in said
    assert "pip install 'smtpdoctor[confirm]'" in said and "[config.extra_missing]" in said
    reason = "config.extra_missing"
    assert reason in said


# --- Authentication-Results: the receiver's header, not the oldest hop's (RFC 8601) --------------

# The receiving MTA adds its header on top of the ones the message arrived with: here a relay on
# the way judged DMARC a fail, the receiver (added last, shown first) a pass.
TWO_HOPS = ("Authentication-Results: mx.receiver.test; spf=pass smtp.mailfrom=dev@example.com; "
            "dkim=pass header.d=example.com; dmarc=pass header.from=example.com\r\n"
            "Authentication-Results: relay.example.net; spf=softfail smtp.mailfrom=dev@example.com; "
            "dkim=none; dmarc=fail (p=none) header.from=example.com\r\n")


def test_the_receivers_topmost_header_is_read_not_a_relays_below_it(good_tls, mailbox, confirm):
    with mailbox() as imap, SMTPServer("starttls", good_tls, handler=Delivering(imap=imap, results=TWO_HOPS)) as smtp:
        out = confirm(smtp.port, imap.port)
    probe = out.probe("delivery")
    assert out.exit_code == 0 and probe["status"] == "pass", probe
    details = probe["details"]
    assert (details["spf_verdict"], details["dkim_verdict"], details["dmarc_verdict"]) == ("pass", "pass", "pass")
    assert details["authentication_results"].startswith("mx.receiver.test; spf=pass")


def test_a_header_by_the_receivers_authserv_id_wins_over_one_above_it():
    """RFC 8601 §5: the receiver's own header is the one whose authserv-id it uses; with the
    receiving provider known (Gmail signs as mx.google.com), that one is read even when another
    hop's header sits above it."""
    from smtpdoctor.wire.imap import Found

    headers = ("filter.other.example; dmarc=fail header.from=example.com",
               "mx.google.com; spf=pass smtp.mailfrom=a@example.com; dmarc=pass header.from=example.com",
               "relay.example.net; dmarc=fail header.from=example.com")
    found = Found(results=headers)
    assert found.receiver_results(frozenset({"gmail.com", "google.com"})) == headers[1]
    assert found.receiver_results(frozenset()) == headers[0]  # none known: the topmost
    assert found.receiver_results(frozenset({"example.org"})) == headers[0]
    assert Found().receiver_results(frozenset({"google.com"})) == ""


def test_the_receiving_providers_domains_come_from_its_mailbox():
    from types import SimpleNamespace

    from smtpdoctor.probes.delivery import receiver_domains
    from smtpdoctor.providers import load_providers
    from smtpdoctor.wire.imap import Mailbox

    table = load_providers()
    gmail = SimpleNamespace(table=table, mailbox=Mailbox("imap.gmail.com", 993, "me@gmail.com", source="gmail"))
    assert {"gmail.com", "google.com"} <= receiver_domains(gmail)  # type: ignore[arg-type]
    own = SimpleNamespace(table=table, mailbox=Mailbox("localhost", 993, USER, source="IMAP_HOST"))
    assert receiver_domains(own) == frozenset()  # type: ignore[arg-type]


@pytest.mark.parametrize(("header", "authserv", "verdicts"), [
    # Comments (nested, with a quoted-pair) say nothing; a quoted string keeps its ";" and "=".
    ('mx.google.com; dkim=pass header.i=@x.com header.b="ab;c=d"; spf=pass (google.com: domain of a@x.com '
     '(nested \\) paren) designates 1.2.3.4 as permitted sender) smtp.mailfrom=a@x.com; '
     'dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=x.com',
     "mx.google.com", {"dkim": "pass", "spf": "pass", "dmarc": "pass"}),
    # Microsoft's headers have no authserv-id: the first resinfo is a result.
    ("spf=pass (sender IP is 1.2.3.4) smtp.mailfrom=x.com; dkim=none (message not signed) header.d=none;"
     "dmarc=none action=none header.from=x.com;compauth=pass reason=100",
     None, {"spf": "pass", "dkim": "none", "dmarc": "none"}),
    # A version after the authserv-id; "none": nothing was checked.
    ("example.org 1; none", "example.org", {}),
    # Two DKIM signatures: DMARC takes any that passes.
    ('"quoted.example"; dkim=fail header.d=a.com; dkim/1=pass header.d=x.com; spf = softfail',
     "quoted.example", {"dkim": "pass", "spf": "softfail"}),
])
def test_authentication_results_are_read_to_rfc_8601(header, authserv, verdicts):
    from smtpdoctor.wire.imap import authserv_id
    from smtpdoctor.wire.imap import verdicts as read

    assert authserv_id(header) == authserv
    assert read(header) == verdicts
