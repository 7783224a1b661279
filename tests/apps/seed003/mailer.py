# The sending half of seed 003's FAuth._send_email (rhj/backend/app/functions/FAuth.py),
# as the commit has it: smtplib.SMTP(host, port), starttls() when Config.MAIL_USE_TLS,
# login() always, send_message(). Run by tests/conformance/apps/run_python.py; never by smtpdoctor.
import smtplib
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from config import Config


def send(recipient):
    msg = MIMEMultipart('alternative')
    msg['Subject'] = '注册验证码'
    msg['From'] = Config.MAIL_DEFAULT_SENDER
    msg['To'] = recipient
    msg.attach(MIMEText('您的验证码是:123456', 'plain', 'utf-8'))
    server = None
    try:
        server = smtplib.SMTP(Config.MAIL_SERVER, Config.MAIL_PORT)
        if Config.MAIL_USE_TLS:
            server.starttls()
        server.login(Config.MAIL_USERNAME, Config.MAIL_PASSWORD)
        server.send_message(msg)
    finally:
        if server:
            try:
                server.quit()
            except Exception:
                pass
