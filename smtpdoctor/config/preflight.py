"""Everything that happens before the network: read, resolve and lint settings."""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from smtpdoctor.config.dotenv_file import DotenvError, DotenvFile, read_dotenv
from smtpdoctor.config.lint import lint_settings
from smtpdoctor.config.settings import LoadResult, load_settings
from smtpdoctor.config.values import AppProfile, ClientChoice, Options, Settings, Source
from smtpdoctor.model import Finding, Severity, frozen_params
from smtpdoctor.providers import Provider, ProviderTable, load_providers


class Preflight(NamedTuple):
    settings: Settings
    provider: Provider | None
    findings: tuple[Finding, ...]
    table: ProviderTable
    # What the settings were read from, so a trial change can be read the same way.
    dotenv: DotenvFile | None = None
    environ: Mapping[str, str] = MappingProxyType({})
    options: Options = Options()
    app: AppProfile = AppProfile()

    def with_changes(self, changes: Mapping[str, str]) -> Settings:
        """The settings the app would use with ``changes`` made to its variables. A change to
        an option (``--port``: the value came from the command line) is tried as that option."""
        given = {OPTION_FIELDS[k]: v for k, v in changes.items() if k in OPTION_FIELDS}
        options = self.options._replace(**given) if given else self.options
        overlay = {k: v for k, v in changes.items() if k not in OPTION_FIELDS}
        return load_settings(self.dotenv, self.environ, options, self.table, self.app,
                             overlay=overlay).settings


# The options a fix may name when the value came from the command line.
OPTION_FIELDS = {"--host": "host", "--port": "port", "--user": "user", "--from": "sender"}


def resolve(
    env_file: str | None,
    environ: Mapping[str, str],
    options: Options,
    cwd: Path | None = None,
    client: str | None = None,
    *,
    search_up: bool = True,
) -> Preflight:
    """Read the dotenv file (``./.env`` when it exists and none is named, else the nearest in a
    parent folder, as python-dotenv's find_dotenv() and Flask's CLI do, if the app's client
    reads it), the app folder's project file and manifests, resolve the settings and lint
    them. Never raises for bad input: every problem becomes a finding."""
    from smtpdoctor.config.app import ProjectFileError, load_app_profile

    table = load_providers()
    folder = cwd or Path.cwd()
    dotenv = None
    path: Path | None = None
    above: Path | None = None
    if env_file is not None:
        path, shown = Path(env_file), env_file
        folder = path.parent
    elif folder.joinpath(".env").is_file():
        path, shown = folder / ".env", ".env"
    elif search_up and (above := _dotenv_above(folder)) is not None:
        path, shown = above, os.path.relpath(above, folder)
    if path is not None:
        try:
            dotenv = read_dotenv(path, shown)
        except DotenvError as exc:
            # Still show what the environment says; the unreadable file alone makes it exit 2.
            rest = load_settings(None, environ, options, table)
            return Preflight(rest.settings, rest.provider, (exc.finding,), table,
                             None, environ, options)
    first = load_settings(dotenv, environ, options, table)
    try:
        app = load_app_profile(folder, client, first.settings.family)
    except ProjectFileError as exc:
        bad = Finding(Severity.ERROR, "config.project_file_invalid",
                      frozen_params({"file": exc.file, "detail": exc.detail}))
        return Preflight(first.settings, first.provider, (*first.findings, bad), table,
                         dotenv, environ, options)
    loaded: LoadResult = load_settings(dotenv, environ, options, table, app)
    nothing = any(f.reason == "config.no_mail_settings" for f in loaded.findings)
    # With no mail settings at all, a default port's lint (port 25, no TLS flag) is noise.
    findings = loaded.findings + (() if nothing else tuple(lint_settings(loaded.settings, loaded.provider,
                                                                          table)))
    if above is not None:
        chosen = loaded.settings.client
        if chosen is not None and chosen.id in CLIENTS_READING_ONLY_HERE:
            # Node's dotenv reads ./.env, Laravel its base path's: this app never sees that file.
            alone = resolve(env_file, environ, options, cwd, client, search_up=False)
            unread = Finding(Severity.INFO, "config.dotenv_above_not_read",
                             frozen_params({"file": shown, "client": chosen.param}))
            return alone._replace(findings=(*alone.findings, unread))
        findings += (Finding(Severity.INFO, "config.dotenv_found_above", frozen_params({"file": shown})),)
    if dotenv is None and nothing:
        elsewhere = dotenv_files_below(folder)
        if elsewhere:
            findings += (Finding(Severity.INFO, "config.dotenv_elsewhere", frozen_params(
                {"files": ", ".join(elsewhere), "file": elsewhere[0]})),)
    settings = loaded.settings if dotenv or env_file else loaded.settings._replace(looked_in=str(folder))
    return Preflight(settings, loaded.provider, findings, table, dotenv, environ, options, app)


# The clients whose apps read a .env in the current folder only (Node's dotenv: the process's
# working directory; Laravel: its base path): a parent folder's is not theirs.
CLIENTS_READING_ONLY_HERE = frozenset({"nodemailer", "laravel"})


def _dotenv_above(folder: Path) -> Path | None:
    """The nearest ``.env`` in a parent folder, as python-dotenv's find_dotenv() walks up to the
    root (folders that cannot be read are passed over)."""
    for parent in folder.resolve().parents:
        candidate = parent / ".env"
        try:
            if candidate.is_file():
                return candidate
        except OSError:
            continue
    return None


def dotenv_files_below(folder: Path, limit: int = 5) -> list[str]:
    """``.env`` files one or two folders down (the app in ``backend/``), nearest first."""
    from smtpdoctor.config.appcode.files import SKIPPED_DIRS

    found: list[str] = []
    for pattern in ("*/.env", "*/*/.env"):
        try:
            paths = sorted(folder.glob(pattern))
        except OSError:
            continue
        found += [p.relative_to(folder).as_posix() for p in paths
                  if p.is_file() and not SKIPPED_DIRS & set(p.relative_to(folder).parts[:-1])]
    return found[:limit]


def resolve_mapping(values: Mapping[str, object], client: str | ClientChoice | None = None,
                    options: Options | None = None) -> Preflight:
    """Settings from a mapping alone (an --accounts row, the Python API): any family's
    variables or the multi-tenant field names. No dotenv file, no environment, no app
    folder is read: one tenant's missing host is never filled from the server's own."""
    table = load_providers()
    environ = plain_values(values)
    options = options or Options()
    if isinstance(client, ClientChoice):
        app = AppProfile(client=client)
    else:
        app = (AppProfile(client=ClientChoice(client, "--client", "why.option"))
               if client and client != "auto" else AppProfile())
    loaded = load_settings(None, environ, options, table, app, environ_source=Source.ROW)
    findings = loaded.findings + tuple(lint_settings(loaded.settings, loaded.provider, table))
    return Preflight(loaded.settings, loaded.provider, findings, table, None, environ, options, app)


def plain_values(values: Mapping[str, object]) -> dict[str, str]:
    """Row values as the strings an environment would hold: numbers as digits,
    booleans as true/false, empty cells and nulls left out."""
    out: dict[str, str] = {}
    for key, value in values.items():
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            out[str(key).strip()] = "true" if value else "false"
        else:
            out[str(key).strip()] = str(value)
    return out
