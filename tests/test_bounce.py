"""explain takes a whole bounce (issue 20): the server replies in a DSN, a multi-line SMTP
reply, an Exchange NDR, Gmail's and Postfix's bounce texts, the diagnostic one first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from smtpdoctor.bounce import replies

GMAIL = """\
Delivery Status Notification (Failure)

The response was:

550-5.7.26 This mail has been blocked because the sender is unauthenticated.
550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.
550 5.7.26  DKIM = did not pass  SPF [shop.example] with ip: [203.0.113.7] = did not pass. - gsmtp
"""
DSN = """\
Reporting-MTA: dns; mail.shop.example
Arrival-Date: Tue, 1 Dec 2026 08:00:00 +0800

Final-Recipient: rfc822; you@outlook.com
Action: failed
Status: 5.7.708
Remote-MTA: dns; outlook-com.olc.protection.outlook.com
Diagnostic-Code: smtp; 550 5.7.708 Service unavailable. Access denied, traffic not
 accepted from this IP.
"""
NDR = """\
Delivery has failed to these recipients or groups:

boss@partner.example
Your message couldn't be delivered.

Diagnostic information for administrators:
Generating server: AM0PR01MB1234.eurprd01.prod.exchangelabs.com
Remote Server returned '554 5.2.0 STOREDRV.Submission.Exception:OutboundSpamException; Failed to process message due to a permanent exception'
"""
POSTFIX = """\
This is the mail system at host mail.shop.example.

<you@qq.com>: host mx3.qq.com[203.205.219.57] said: 550 Mail content denied.
    http://service.mail.qq.com/detail/122/171 (in reply to end of DATA command)
"""


def test_a_multi_line_reply_is_one_reply():
    assert replies(GMAIL) == [
        "550 5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all "
        "senders to authenticate with either SPF or DKIM. DKIM = did not pass  SPF [shop.example] with ip: "
        "[203.0.113.7] = did not pass. - gsmtp"]


def test_a_dsn_gives_its_diagnostic_code_unfolded():
    assert replies(DSN)[0] == "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP."


def test_an_ndr_gives_the_reply_it_quotes():
    assert replies(NDR)[0].startswith("554 5.2.0 STOREDRV.Submission.Exception:OutboundSpamException;")


@pytest.mark.parametrize(("bounce", "reason"), [
    (GMAIL, "message.sender_unauthenticated"),
    (DSN, "message.ip_blocked"),
    (NDR, "message.account_blocked_spam"),
])
def test_explain_file_names_the_cause_the_bounce_states(tmp_path: Path, smtpdoctor, bounce, reason):
    path = tmp_path / "bounce.txt"
    path.write_text(bounce, encoding="utf-8")
    out = smtpdoctor("explain", "--file", str(path), "--json")
    assert out.exit_code == 0, out.stdout
    assert out.doc["matches"][0]["reason"] == reason
    assert out.doc["replies"][0][:3] in ("550", "554")


def test_explain_reads_a_bounce_from_stdin_and_says_what_it_read():
    script = Path(sys.executable).parent / "smtpdoctor"
    done = subprocess.run([str(script), "explain", "--file", "-"], input=POSTFIX, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("In the bounce: 550 Mail content denied.")
    assert "message.content_rejected" in done.stdout


@pytest.mark.parametrize("args", [[], ["535 Login Fail", "--file", "-"]])
def test_one_of_a_reply_or_a_file(smtpdoctor, args):
    out = smtpdoctor("explain", *args)
    assert out.exit_code == 2
    assert "--file PATH" in out.stderr
