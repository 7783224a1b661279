"""The password, and every form of it that goes on the wire, appears in no
output: text, -v transcript, JSON, annotations, JUnit, config."""

from __future__ import annotations

import pytest

from tests.servers import ScriptedServer

OUTPUT_MODES = [
    [],
    ["-v"],
    ["--json"],
    ["--json", "-v"],
    ["--quiet"],
    ["--format", "github", "-v"],
]


@pytest.mark.parametrize("mode", OUTPUT_MODES)
@pytest.mark.parametrize("server_password", ["right", "wrong"])
def test_no_output_shows_the_password(smtpdoctor, account, good_tls, ca_file, tmp_path,
                                      no_password_leak, mode, server_password, smtp_server):
    from tests.servers import PASSWORD

    junit = tmp_path / "report.xml"
    password = PASSWORD if server_password == "right" else "something-else"
    server = smtp_server("starttls", good_tls, password=password)
    out = smtpdoctor("check", "--env-file", account(server.port), "--ca-file", ca_file,
                     "--alt-ports", "none", "--junit-xml", str(junit), *mode)
    assert out.exit_code == (0 if server_password == "right" else 1)
    no_password_leak(out.stdout + out.stderr + junit.read_text())


def test_auth_login_transcript_hides_both_steps(smtpdoctor, account, no_password_leak):
    import base64

    from tests.servers import PASSWORD, USER

    user64, password64 = (base64.b64encode(v.encode()).decode() for v in (USER, PASSWORD))
    replies = {"AUTH": b"334 VXNlcm5hbWU6\r\n",  # "Username:"
               user64.upper(): b"334 UGFzc3dvcmQ6\r\n",  # "Password:"
               password64.upper(): b"535 5.7.8 Authentication failed\r\n"}
    with ScriptedServer(replies, ehlo=b"250-smtp.test\r\n250 AUTH LOGIN\r\n") as server:
        out = smtpdoctor("check", "--env-file", account(server.port), "--security", "plain",
                         "--alt-ports", "none", "--timeout", "1", "-v", "--json")
    # The password did go over the wire, base64-encoded: the redaction has work to do.
    assert f"{password64}\r\n".encode() in server.lines
    assert out.probe("auth")["error"]["reply"] == "535 5.7.8 Authentication failed"
    no_password_leak(out.stdout + out.stderr)
    assert any("AUTH LOGIN <credentials redacted>" in line for line in out.doc["transcript"])


def test_config_and_url_settings_never_show_the_password(smtpdoctor, env_file, no_password_leak):
    from urllib.parse import quote

    from tests.servers import PASSWORD

    env = env_file(SMTP_URL=f"smtps://dev%40example.com:{quote(PASSWORD, safe='')}@smtp.qq.com:587")
    for args in (["config"], ["config", "--json"]):
        out = smtpdoctor(*args, "--env-file", env)
        no_password_leak(out.stdout + out.stderr)
        assert "set (" in out.stdout or '"length"' in out.stdout
