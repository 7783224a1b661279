"""The settings loader: every family, precedence, URL forms, value spellings."""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdoctor.config.clients import changes
from smtpdoctor.config.dotenv_file import DotenvFile
from smtpdoctor.config.preflight import resolve
from smtpdoctor.config.reading import parse_bool
from smtpdoctor.config.settings import load_settings
from smtpdoctor.config.values import ClientChoice, Options, Source
from smtpdoctor.providers import load_providers
from smtpdoctor.views.words import origin_text


def load(values: dict[str, str] | None = None, environ: dict[str, str] | None = None,
         options: Options | None = None):
    dotenv = DotenvFile(".env", values) if values is not None else None
    return load_settings(dotenv, environ or {}, options or Options(), load_providers())


@pytest.mark.parametrize(("values", "family", "host", "port", "security", "user", "sender"), [
    ({"SMTP_HOST": "smtp.qq.com", "SMTP_PORT": "465", "SMTP_USER": "a@qq.com",
      "SMTP_PASSWORD": "x", "SMTP_FROM": "a@qq.com"},
     "smtp", "smtp.qq.com", 465, "ssl", "a@qq.com", "a@qq.com"),
    ({"SMTP_SERVER": "smtp.gmail.com", "SMTP_PORT": "587", "SMTP_USERNAME": "a@gmail.com",
      "SMTP_PASS": "x"},
     "smtp", "smtp.gmail.com", 587, "starttls", "a@gmail.com", "a@gmail.com"),
    ({"MAIL_SERVER": "smtp.163.com", "MAIL_PORT": "465", "MAIL_USE_SSL": "True",
      "MAIL_USERNAME": "a@163.com", "MAIL_PASSWORD": "x", "MAIL_DEFAULT_SENDER": "App <a@163.com>"},
     "flask-mail", "smtp.163.com", 465, "ssl", "a@163.com", "a@163.com"),
    ({"MAIL_MAILER": "smtp", "MAIL_HOST": "smtp.exmail.qq.com", "MAIL_PORT": "465",
      "MAIL_ENCRYPTION": "ssl", "MAIL_USERNAME": "a@corp.cn", "MAIL_PASSWORD": "x",
      "MAIL_FROM_ADDRESS": "a@corp.cn"},
     "laravel", "smtp.exmail.qq.com", 465, "ssl", "a@corp.cn", "a@corp.cn"),
    ({"EMAIL_HOST": "smtp.office365.com", "EMAIL_PORT": "587", "EMAIL_USE_TLS": "1",
      "EMAIL_HOST_USER": "a@corp.com", "EMAIL_HOST_PASSWORD": "x", "DEFAULT_FROM_EMAIL": "a@corp.com"},
     "django", "smtp.office365.com", 587, "starttls", "a@corp.com", "a@corp.com"),
    ({"EMAIL_PROVIDER": "QQ", "EMAIL_USER": "a@qq.com", "EMAIL_PASSWORD": "x"},
     "nodemailer", "smtp.qq.com", 465, "ssl", "a@qq.com", "a@qq.com"),
    ({"EMAIL_PROVIDER": "Hotmail", "EMAIL_USER": "a@outlook.com", "EMAIL_PASS": "x",
      "EMAIL_FROM": "a@outlook.com"},
     "nodemailer", "smtp-mail.outlook.com", 587, "starttls", "a@outlook.com", "a@outlook.com"),
    ({"EMAIL_HOST": "smtp.163.com", "EMAIL_PORT": "465", "EMAIL_SECURE": "true",
      "EMAIL_USER": "a@163.com", "EMAIL_PASS": "x"},
     "nodemailer", "smtp.163.com", 465, "ssl", "a@163.com", "a@163.com"),
    ({"SMTP_HOST": "smtp.126.com", "SMTP_PORT": "465", "DEFAULT_EMAIL_ACCOUNT": "a@126.com",
      "DEFAULT_EMAIL_PASSWORD": "x", "FROM_EMAIL": "a@126.com"},
     "default-email", "smtp.126.com", 465, "ssl", "a@126.com", "a@126.com"),
    ({"RESEND_API_KEY": "re_123", "FROM_EMAIL": "hi@example.com"},
     "resend", "smtp.resend.com", 465, "ssl", "resend", "hi@example.com"),
])
def test_every_family_is_read_as_the_app_reads_it(values, family, host, port, security, user, sender):
    result = load(values)
    s = result.settings
    assert (s.family, s.host, s.port, s.security, s.username, s.sender) == (
        family, host, port, security, user, sender)
    assert s.password is not None


@pytest.mark.parametrize(("url", "host", "port", "security", "user", "password"), [
    ("smtps://a%40qq.com:p%40ss%2Fw@smtp.qq.com:465", "smtp.qq.com", 465, "ssl", "a@qq.com", "p@ss/w"),
    ("smtp+tls://u:pw-one-1@smtp.gmail.com:587", "smtp.gmail.com", 587, "starttls", "u", "pw-one-1"),
    ("smtp+ssl://u:pw-two-2@smtp.163.com", "smtp.163.com", 465, "ssl", "u", "pw-two-2"),
    ("smtp://u:pw-3-three@mail.example.com:2525", "mail.example.com", 2525, "starttls", "u",
     "pw-3-three"),
    ("smtps://u:pw-four-4@mail.example.com", "mail.example.com", 465, "ssl", "u", "pw-four-4"),
])
def test_url_forms_decode_user_password_port_and_mode(url, host, port, security, user, password):
    s = load({"SMTP_URL": url, "SMTP_FROM": "a@example.com"}).settings
    assert (s.family, s.host, s.port, s.security, s.username) == ("url", host, port, security, user)
    assert s.password is not None and s.password.reveal() == password
    assert password not in repr(s)


@pytest.mark.parametrize("name", ["MAIL_URL", "EMAIL_URL"])
def test_other_url_variable_names(name):
    assert load({name: "smtps://u:p@h.example.com:465"}).settings.host == "h.example.com"


@pytest.mark.parametrize("url", ["http://u:p@h.example.com", "smtps://u:p@:465", "smtps://u:p@h:99999"])
def test_bad_url_is_a_config_error(url):
    result = load({"SMTP_URL": url})
    assert "config.bad_url" in [f.reason for f in result.findings]


def test_environment_beats_dotenv_and_options_beat_both():
    values = {"SMTP_HOST": "from-file.example.com", "SMTP_PORT": "25", "SMTP_USER": "f@example.com",
              "SMTP_PASSWORD": "x"}
    environ = {"SMTP_PORT": "587", "SMTP_USER": "env@example.com"}
    s = load(values, environ, Options(user="opt@example.com")).settings
    assert s.host == "from-file.example.com"
    assert origin_text(s.origins["host"]) == "SMTP_HOST (.env)"
    assert s.port == 587
    assert origin_text(s.origins["port"]) == "SMTP_PORT (environment)"
    assert s.username == "opt@example.com"
    assert origin_text(s.origins["username"]) == "--user (option)"


def test_environment_alone_is_enough():
    s = load(None, {"MAIL_SERVER": "smtp.qq.com", "MAIL_USE_SSL": "true", "MAIL_PORT": "465",
                    "MAIL_USERNAME": "a@qq.com", "MAIL_PASSWORD": "x"}).settings
    assert (s.family, s.host, s.security) == ("flask-mail", "smtp.qq.com", "ssl")
    assert s.origins["host"].source is Source.ENVIRONMENT


def test_unrelated_environment_is_ignored():
    s = load({"SMTP_HOST": "h.example.com"}, {"HOME": "/root", "MAIL": "/var/mail/root"}).settings
    assert s.host == "h.example.com"


@pytest.mark.parametrize("word", ["true", "True", "TRUE", "1", "on", "yes", "Y"])
def test_true_spellings(word):
    assert parse_bool(word) is True


@pytest.mark.parametrize("word", ["false", "False", "0", "off", "no", ""])
def test_false_spellings(word):
    assert parse_bool(word) is False


@pytest.mark.parametrize(("port", "expected"), [("465", "ssl"), ("587", "starttls"),
                                                ("25", "starttls"), ("2525", "starttls")])
def test_mode_follows_the_port_without_flags(port, expected):
    s = load({"SMTP_HOST": "mail.example.com", "SMTP_PORT": port}).settings
    assert s.security == expected
    assert origin_text(s.origins["security"]) == f"derived from port {port}"


def test_flags_say_the_mode_whatever_the_port():
    s = load({"MAIL_SERVER": "mail.example.com", "MAIL_PORT": "587", "MAIL_USE_SSL": "yes"}).settings
    assert (s.security, s.security_explicit) == ("ssl", True)


def test_flask_mail_with_all_flags_false_is_plain():
    s = load({"MAIL_SERVER": "mail.example.com", "MAIL_PORT": "25", "MAIL_USE_SSL": "false",
              "MAIL_USE_TLS": "false"}).settings
    assert s.security == "plain"


def test_phpmailer_style_smtp_secure_names_the_mode():
    assert load({"SMTP_HOST": "h.example.com", "SMTP_PORT": "587",
                 "SMTP_SECURE": "tls"}).settings.security == "starttls"
    assert load({"SMTP_HOST": "h.example.com", "SMTP_PORT": "465",
                 "SMTP_SECURE": "ssl"}).settings.security == "ssl"


def test_laravel_tls_on_465_is_implicit_tls_like_laravel_does():
    s = load({"MAIL_HOST": "h.example.com", "MAIL_PORT": "465", "MAIL_ENCRYPTION": "tls"}).settings
    assert s.security == "ssl"


def test_laravel_scheme_smtps():
    s = load({"MAIL_HOST": "h.example.com", "MAIL_PORT": "2465", "MAIL_SCHEME": "smtps"}).settings
    assert s.security == "ssl"


def test_flask_mail_without_port_uses_flask_mails_default():
    s = load({"MAIL_SERVER": "smtp.qq.com", "MAIL_USE_SSL": "true"}).settings
    assert s.port == 25  # Flask-Mail's own default, which is what the app will use
    assert origin_text(s.origins["port"]) == "Flask-Mail default"


def test_nodemailer_provider_supplies_host_port_and_mode():
    s = load({"EMAIL_PROVIDER": "gmail", "EMAIL_USER": "a@gmail.com", "EMAIL_PASSWORD": "x"}).settings
    assert (s.host, s.port, s.security) == ("smtp.gmail.com", 465, "ssl")
    assert origin_text(s.origins["host"]) == "provider gmail default"


def test_nodemailer_with_its_own_host_is_not_mistaken_for_django():
    result = load({"EMAIL_HOST": "smtp.gmail.com", "EMAIL_PORT": "587", "EMAIL_USER": "a@gmail.com",
                   "EMAIL_PASS": "abcdefghijklmnop"})
    assert result.settings.family == "nodemailer"
    assert "config.missing_username" not in [f.reason for f in result.findings]
    # nodemailer: secure left undefined on 465 is implicit TLS already.
    assert changes(result.settings, 465, "ssl") == {"EMAIL_PORT": "465"}
    assert changes(result.settings, 587, "ssl") == {"EMAIL_SECURE": "true"}


def test_sender_display_name_is_stripped_to_the_address():
    s = load({"SMTP_HOST": "h.example.com", "SMTP_FROM": '"My App" <app@example.com>'}).settings
    assert s.sender == "app@example.com"


def test_sender_falls_back_to_the_username_address():
    s = load({"SMTP_HOST": "h.example.com", "SMTP_USER": "me@example.com"}).settings
    assert s.sender == "me@example.com"
    assert origin_text(s.origins["sender"]) == "derived from SMTP_USER"


def test_password_is_masked_everywhere_but_reveal():
    s = load({"SMTP_HOST": "h.example.com", "SMTP_PASSWORD": "hunter2hunter2"}).settings
    assert s.password is not None
    assert "hunter2" not in repr(s) and "hunter2" not in str(s.password)
    assert f"{s.password}" == "Secret(<14 characters>)"


def test_provider_matched_by_host_domain_and_name():
    table = load_providers()
    assert table.by_host("SMTP.QQ.COM").id == "qq"
    assert table.by_host("email-smtp.ap-southeast-1.amazonaws.com").id == "ses"
    assert table.by_host("smtp.zoho.eu").id == "zoho"
    assert table.by_address("someone@foxmail.com").id == "qq"
    assert table.by_name("QQex").id == "exmail"
    assert table.by_name("Outlook365").id == "office365"
    assert table.by_name("nope") is None


def test_provider_option_overrides_matching():
    s = load({"SMTP_HOST": "smtp.corp.example", "SMTP_USER": "a@corp.example"},
             options=Options(provider="exmail")).settings
    assert s.provider_id == "exmail"


def with_client(values: dict[str, str], client: str):
    from smtpdoctor.config.values import AppProfile

    app = AppProfile(client=ClientChoice(client, "--client"))
    return load_settings(DotenvFile(".env", values), {}, Options(), load_providers(), app).settings


FLASK_587_SSL = {"MAIL_SERVER": "h.example.com", "MAIL_PORT": "587", "MAIL_USE_SSL": "true"}


@pytest.mark.parametrize(("client", "values", "port", "mode", "expected"), [
    ("flask-mail", FLASK_587_SSL, 587, "starttls", {"MAIL_USE_SSL": "false", "MAIL_USE_TLS": "true"}),
    ("flask-mail", FLASK_587_SSL, 465, "ssl", {"MAIL_PORT": "465"}),
    ("django", {"EMAIL_HOST": "h.example.com", "EMAIL_PORT": "465"}, 465, "ssl",
     {"EMAIL_USE_SSL": "true"}),
    # An app that calls smtplib.SMTP() never reads MAIL_USE_SSL: only the port and MAIL_USE_TLS.
    ("smtplib", FLASK_587_SSL, 465, "ssl", None),
    ("smtplib", {**FLASK_587_SSL, "MAIL_PORT": "465"}, 587, "starttls",
     {"MAIL_PORT": "587", "MAIL_USE_TLS": "true"}),
    ("smtplib-ssl", {"SMTP_HOST": "h.example.com", "SMTP_PORT": "587"}, 465, "ssl", {"SMTP_PORT": "465"}),
    ("smtplib-ssl", {"SMTP_HOST": "h.example.com", "SMTP_PORT": "465"}, 587, "starttls", None),
    # Only what the user already has changes: an app that reads SMTP_SSL may not read SMTP_TLS.
    ("generic", {"SMTP_HOST": "h.example.com", "SMTP_PORT": "587", "SMTP_SSL": "1"}, 587, "starttls",
     {"SMTP_SSL": "false"}),
    # Symfony Mailer: port 465 is implicit TLS, any other port STARTTLS when offered;
    # MAIL_ENCRYPTION=ssl on 587 already works.
    ("laravel", {"MAIL_HOST": "h.example.com", "MAIL_PORT": "587", "MAIL_ENCRYPTION": "ssl"}, 587,
     "starttls", None),
    ("laravel", {"MAIL_HOST": "h.example.com", "MAIL_PORT": "587"}, 465, "ssl", {"MAIL_PORT": "465"}),
    ("laravel", {"MAIL_HOST": "h.example.com", "MAIL_PORT": "465"}, 465, "starttls", None),
    ("aiosmtplib", {"SMTP_HOST": "h.example.com", "SMTP_PORT": "465"}, 465, "ssl", {"SMTP_SECURE": "true"}),
    ("generic", {"SMTP_URL": "smtps://u:secretpw@h.example.com:587"}, 587, "starttls",
     {"SMTP_URL": "smtp+tls://u:****@h.example.com:587"}),
])
def test_a_fix_names_only_variables_the_client_reads(client, values, port, mode, expected):
    assert changes(with_client(values, client), port, mode) == expected


def test_a_trial_url_change_logs_in_with_the_users_password():
    from smtpdoctor.config.preflight import Preflight

    dotenv = DotenvFile(".env", {"SMTP_URL": "smtps://u:p%40ss@h.example.com:587"})
    loaded = load_settings(dotenv, {}, Options(), load_providers())
    pre = Preflight(loaded.settings, None, (), load_providers(), dotenv, {}, Options())
    trial = pre.with_changes({"SMTP_URL": "smtp+tls://u:****@h.example.com:587"})
    assert (trial.security, trial.port) == ("starttls", 587)
    assert trial.password is not None and trial.password.reveal() == "p@ss"


def test_resolve_reads_dot_env_in_the_current_folder(tmp_path: Path):
    (tmp_path / ".env").write_text("SMTP_HOST=local.example.com\n")
    pre = resolve(None, {}, Options(), cwd=tmp_path)
    assert pre.settings.host == "local.example.com"
    assert origin_text(pre.settings.origins["host"]) == "SMTP_HOST (.env)"


def test_dotenv_interpolation_like_python_dotenv(tmp_path: Path):
    (tmp_path / "x.env").write_text("DOMAIN=example.com\nSMTP_HOST=smtp.${DOMAIN}\n")
    pre = resolve(str(tmp_path / "x.env"), {}, Options())
    assert pre.settings.host == "smtp.example.com"
