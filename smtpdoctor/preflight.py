"""Everything that happens before the network: read, resolve and lint settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from smtpdoctor.dotenv_file import DotenvError, read_dotenv
from smtpdoctor.lint import lint_settings
from smtpdoctor.model import Finding
from smtpdoctor.providers import Provider, ProviderTable, load_providers
from smtpdoctor.settings import LoadResult, Options, Settings, load_settings


@dataclass(frozen=True)
class Preflight:
    settings: Settings
    provider: Provider | None
    findings: tuple[Finding, ...]
    table: ProviderTable


def resolve(
    env_file: str | None,
    environ: Mapping[str, str],
    options: Options,
    cwd: Path | None = None,
) -> Preflight:
    """Read the dotenv file (``./.env`` when it exists and none is named),
    resolve the settings and lint them. Never raises for bad input: every
    problem becomes a finding."""
    table = load_providers()
    dotenv = None
    if env_file is not None or (cwd or Path.cwd()).joinpath(".env").is_file():
        shown = env_file if env_file is not None else ".env"
        path = Path(shown) if env_file is not None else (cwd or Path.cwd()) / ".env"
        try:
            dotenv = read_dotenv(path, shown)
        except DotenvError as exc:
            # Still show what the environment says; the unreadable file alone makes it exit 2.
            rest = load_settings(None, environ, options, table)
            return Preflight(rest.settings, rest.provider, (exc.finding,), table)
    loaded: LoadResult = load_settings(dotenv, environ, options, table)
    findings = loaded.findings + tuple(lint_settings(loaded.settings, loaded.provider, table))
    return Preflight(loaded.settings, loaded.provider, findings, table)
