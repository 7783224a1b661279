"""With --lang zh the whole report is Chinese: summaries, skips, headings, labels, `config`,
`providers`, JSON and JUnit; and no stray space sits between two Chinese characters."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from smtpdoctor.catalog import CJK

STRAY_SPACE = re.compile(f"{CJK} +{CJK}")
# English a Chinese report used to show; none of these may be left.
ENGLISH = re.compile(r"\b([Ss]kipped|not reached|accepted|refused|failed|handshake|certificate|"
                     r"Settings|Checks|[Ff]ix:|[Ss]erver said|All checks|exit \d|nothing sent|"
                     r"host |ports |login |get it|not set|characters|provider default|environment)")


def english_left(text: str) -> list[str]:
    """English words outside what the server said and outside links."""
    found = []
    for line in text.splitlines():
        said = re.sub(r"https?://\S+", "", line.split("服务器回复：")[0])
        # The server's reply quoted in a summary ("被拒绝：535 …") is the server's own English.
        said = re.sub(r"(被拒绝：|：)\d{3}[ -].*", "", said)
        found += [m.group() for m in ENGLISH.finditer(said)]
    return found


def test_a_failing_check_reads_in_chinese(good_tls, smtpdoctor, account, ca_file, smtp_server):
    server = smtp_server("starttls", good_tls, password="something-else")
    out = smtpdoctor("check", "--env-file", account(server.port), "--ca-file", ca_file,
                     "--alt-ports", "none", "--lang", "zh")
    assert out.exit_code == 1
    text = out.stdout
    for expected in ("配置", "检查", "接受了连接", "证书", "被拒绝：535", "已跳过：auth 失败",
                     "修复：", "服务器回复：", "失败于 auth：EAUTH（auth.bad_credentials）（退出码 1）"):
        assert expected in text, expected
    assert english_left(text) == [], text
    assert not STRAY_SPACE.search(text), STRAY_SPACE.findall(text)


def test_a_passing_check_reads_in_chinese(starttls_server, smtpdoctor, account, ca_file):
    out = smtpdoctor("check", "--env-file", account(starttls_server.port), "--ca-file", ca_file,
                     "--alt-ports", "none", "--lang", "zh", "--until", "tls")
    assert out.exit_code == 0
    assert "已跳过：--until tls" in out.stdout and "全部检查通过" in out.stdout
    assert english_left(out.stdout) == [], out.stdout


def test_json_and_junit_follow_the_language(good_tls, check, account, tmp_path, smtp_server):
    junit = tmp_path / "report.xml"
    server = smtp_server("starttls", good_tls, password="something-else")
    out = check(account(server.port), "--lang", "zh", "--junit-xml", str(junit))
    summaries = {p["name"]: p["summary"] for p in out.doc["probes"]}
    assert summaries["tcp"].endswith("接受了连接") and summaries["envelope"] == "已跳过：auth 失败"
    assert out.doc["settings"]["client"]["why"] == "使用通用 SMTP_* 的变量"
    cases = {c.get("name"): c for c in ET.parse(junit).getroot()}
    failure = cases["auth"].find("failure")
    assert failure is not None and "原因：auth.bad_credentials" in (failure.text or "")
    assert "修复：检查 SMTP_USER" in (failure.text or "")
    assert cases["envelope"].find("skipped").get("message") == "已跳过：auth 失败"  # type: ignore[union-attr]


def test_config_labels_are_chinese(smtpdoctor, account):
    out = smtpdoctor("config", "--env-file", account(2525), "--lang", "zh")
    lines = out.stdout.splitlines()
    for label in ("主机", "端口", "加密", "用户名", "密码", "发件人", "客户端", "服务商"):
        assert any(line.strip().startswith(label) for line in lines), label
    assert "已设置（16 个字符）" in out.stdout and "SMTP_HOST（" in out.stdout
    assert english_left(out.stdout) == [], out.stdout


def test_a_chinese_provider_name_in_a_sentence_leaves_no_stray_space(smtpdoctor, env_file):
    """The issue's own example: "而 QQ 邮箱 不允许" — the template's spaces suit "Gmail", not "QQ 邮箱"."""
    env = env_file(SMTP_HOST="smtp.qq.com", SMTP_PORT=465, SMTP_USER="123456@qq.com",
                   SMTP_PASSWORD="abcdefghijklmnop", SMTP_FROM="other@example.com")
    out = smtpdoctor("config", "--env-file", env, "--lang", "zh")
    assert "不同，而 QQ 邮箱不允许以其他地址发信。" in out.stdout
    # Derived values and the client's origin in words too, not "port 465" and "family".
    assert "← 由端口 465 推得" in out.stdout
    assert "← 配置风格：使用通用 SMTP_* 的变量" in out.stdout
    report = out.stdout.split("smtpdoctor config")[1]  # the prose, below the aligned table
    assert not STRAY_SPACE.search(report), STRAY_SPACE.findall(report)
    assert english_left(out.stdout) == [], out.stdout


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_providers_labels_follow_the_language(smtpdoctor, lang):
    out = smtpdoctor("providers", "--lang", lang)
    qq = out.stdout.split("\n\n")[0].split("gmail")[0]
    if lang == "zh":
        assert "用户名：完整邮箱地址，密码：授权码" in qq and "主机" in qq
        assert english_left(out.stdout) == []
    else:
        assert "username address, password: authorization code" in qq


def test_where_a_value_was_set_is_said_in_chinese(smtpdoctor, env_file):
    env = env_file(SMTP_HOST="smtp.qq.com", SMTP_USER="123456@qq.com", SMTP_FROM="123456@qq.com")
    out = smtpdoctor("config", "--env-file", env, "--lang", "zh",
                     env={"SMTP_PASSWORD": " abcdefghijklmnop "})
    assert "SMTP_PASSWORD（环境变量）首尾有空格" in out.stdout
    assert english_left(out.stdout) == [], out.stdout


def test_why_a_recipient_or_a_fix_was_refused_is_said_in_chinese(smtpdoctor, account, tmp_path):
    from tests.servers import free_port

    out = smtpdoctor("send-test", "a@example.com,b@example.com", "--env-file", account(free_port()),
                     "--lang", "zh", "--json")
    finding = next(f for f in out.doc["findings"] if f["reason"] == "config.bad_recipient")
    assert "每个参数只能写一个地址" in finding["message"]
    from smtpdoctor.views.words import render

    text = render("config.fix_refused", {"detail": "§fix_refused.changed", "file": ".env"}, None, None, "zh")
    assert text.message == "check --fix 未写入任何内容：smtpdoctor 检查期间 .env 被修改了，请重新运行。"
