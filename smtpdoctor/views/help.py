"""The command line's help: every command's description and every option's line, kept as
text beside the other words a user reads (cli.py only wires them to click)."""

from __future__ import annotations

# The help's widest line, as click's max_content_width.
WIDTH = 100

COMMANDS = {
    "": """\
Find out why your app's SMTP mail fails, and how to fix it.

smtpdoctor reads the mail settings the way your app does (./.env, then the
environment), flags what cannot work, then checks DNS, TCP, TLS, SMTP,
AUTH and the envelope in order and names the fix in your own variables.

\b
Exit codes: 0 all passed, 1 a check failed, 2 usage or configuration error,
3 a bug in smtpdoctor, 130 interrupted, 143 terminated (a closed pipe never
changes the code).

\b
Example:
  smtpdoctor check
  smtpdoctor send-test you@example.com
  smtpdoctor explain "535 Login Fail"
""",
    "check": """\
Lint the settings, then probe dns → tcp → tls → smtp → auth → envelope.

Nothing is sent: the envelope step says MAIL FROM and RCPT TO, then RSET.
A fix is offered only after it worked on the wire in this run; --fix
writes it into the dotenv file (never a password, never the environment).

\b
Example:
  smtpdoctor check
  smtpdoctor check --env-file /srv/app/.env --quiet      # boot gate
  smtpdoctor check --json > smtp-report.json             # CI
  smtpdoctor check --until smtp                          # never logs in
  smtpdoctor check --fix                                 # write what was verified
""",
    "domain": """\
Check the sending DOMAIN (default: the sender's): mx, spf, dkim, dmarc.

Judged against the provider that really sends the mail: the SMTP host's,
else the one the domain's MX names. Each fix is the exact DNS record to
publish. Free-mail senders (@qq.com, @gmail.com…) are skipped.

\b
Example:
  smtpdoctor domain
  smtpdoctor domain acme-corp.cn --dkim-selector s1
""",
    "send-test": """\
Run every check, then send a real test message to each RECIPIENT.

The message has the headers strict servers expect (Date, Message-ID, From,
To, Subject, UTF-8 text) and says which host, port, account and machine
sent it. It never contains the password.

\b
Example:
  smtpdoctor send-test you@example.com
  smtpdoctor send-test a@example.com b@example.com --subject "deploy 42"
""",
    "config": """\
Show the settings as resolved: each value, the variable and file it came
from, the settings family and provider, and what looks wrong. Never touches
the network; the password is shown only as set/length. With --accounts, what
looks wrong in each row, with no connection made.

\b
Example:
  smtpdoctor config
  smtpdoctor config --env-file deploy/.env.production --json
  smtpdoctor config --accounts tenants.jsonl --client aiosmtplib
""",
    "providers": """\
List the provider table: hosts, ports and TLS modes, username rule,
password kind and where to get it.

\b
Example:
  smtpdoctor providers
  smtpdoctor providers --json | jq '.providers[] | select(.id == "qq")'
""",
    "explain": """\
Say what an error means and what to do: an error code (EAUTH,
ETIMEDOUT), a reply code (535, 5.7.8), a reply text, or what your app
logged (smtplib, nodemailer, PHPMailer, aiosmtplib), or a reason id.

\b
Example:
  smtpdoctor explain EAUTH
  smtpdoctor explain "535 Login Fail"
  smtpdoctor explain "smtplib.SMTPAuthenticationError: (535, b'Error: ...')"
  smtpdoctor explain "Error: getaddrinfo ENOTFOUND smtp.qq.cm"
  smtpdoctor explain "wrong version number" --lang zh
""",
}
# Keyed by the option's long name, or "COMMAND --name" where a command says it its own way.
OPTIONS = {
    "--env-file": "Read this dotenv file (default: ./.env when it exists).",
    "--host": "Override the SMTP host.",
    "--port": "Override the port.",
    "--user": "Override the username.",
    "--from": "Override the sender address.",
    "--security": "Override the TLS mode (auto: from flags, else the port).",
    "--provider": "Treat the settings as this provider's (see `smtpdoctor providers`).",
    "--client": ("How the app connects (auto: from the app folder's dependency manifest, else the "
                 "variable family)."),
    "--lang": "Language of messages (default from LC_ALL/LC_MESSAGES/LANG).",
    "--json": "Print exactly one JSON document on stdout.",
    "--timeout": "Limit in seconds for each network step.",
    "--max-time": ("One deadline for the whole run, retries and their delays included (like curl's "
                   "--max-time): for boot gates and health checks."),
    "--dns-server": "Resolve with this name server and connect to what it returns.",
    "--proxy": "Connect through this proxy, as an app that sets one in its code: socks5://, socks5h:// "
               "(the proxy resolves), socks4:// or http:// (CONNECT), with user:password@ if it asks.",
    "--family": "The address family this machine can use: 4 (IPv4 only), 6 (IPv6 only), or auto.",
    "--resolve": "Connect to ADDR for HOST:PORT instead of what DNS says (repeatable, as curl's --resolve); "
                 "the certificate is still checked for HOST.",
    "--ca-file": "Also trust these CA certificates (PEM).",
    "--alt-ports": "Ports tried at the same time when the configured one fails ('none' to skip).",
    "--until": "Stop after this probe; later ones are skipped (like swaks --quit-after).",
    "--retries": ("Run again this many times while the failure is one that can pass later (DNS, "
                  "timeouts, refused, 4xx): for boot gates."),
    "--retry-delay": "Seconds between retries.",
    "--format": "github: also print ::error annotations (default when GITHUB_ACTIONS=true).",
    "--junit-xml": "Also write a JUnit XML report (one test case per probe).",
    "--metrics-file": ("Also write Prometheus metrics (text format) to this file, atomically: for the node "
                       "exporter's textfile collector."),
    "--verbose": "Also show the SMTP transcript, credentials redacted.",
    "domain --verbose": "Also show what each check read: the records, the MX hosts, the DKIM key.",
    "--quiet": "Print nothing on success; on failure only the failing step.",
    "--accounts": ("Many accounts: a .jsonl, .json or .csv file, - for JSON Lines on stdin, or a "
                   "postgresql:// URL with --query. Rows never read .env or the environment."),
    "--query": "With a postgresql:// source: the rows to check.",
    "--decrypt-column": "Decrypt this column with Fernet (repeatable).",
    "--fernet-key-env": "The environment variable holding the Fernet key(s), comma-separated, newest first.",
    "--concurrency": "Accounts checked at once.",
    "--per-host": "Accounts checked at once against one SMTP host (providers limit connections).",
    "--domain": "Also check the sender's domain after the envelope: mx, spf, dkim, dmarc.",
    "--dkim-selector": "The DKIM selector to check (default: the provider's).",
    "--fix": ("Write the changes verified in this run into the dotenv file (a copy of the original is "
              "kept beside it), then check again."),
    "domain --timeout": "Limit in seconds for the lookups.",
    "domain --dns-server": "Resolve with this name server.",
    "--subject": "Subject of the test message.",
    "--body": "First paragraph of the test message.",
    "--confirm": ("Follow the message into the recipient's mailbox over IMAP: INBOX or Junk, how fast, "
                  "and the receiving side's SPF/DKIM/DMARC verdicts (pip install 'smtpdoctor[confirm]')."),
    "--confirm-timeout": "How long --confirm waits for the message.",
    "--keep": "With --confirm: leave the test message in the mailbox.",
    "providers --lang": "Language of names.",
    "providers --json": "Print the table as JSON.",
    "explain --lang": "Language.",
    "explain --json": "Print the explanations as JSON.",
    "explain --file": "Read a whole bounce from this file (- for stdin): a DSN, an NDR, a multi-line reply.",
    "explain --env-file": "Name the fix in this dotenv file's variables (default: ./.env when it exists).",
    "domain --junit-xml": "Also write a JUnit XML report.",
}
