"""What the app folder says about the code: the mail client its dependency
manifest names, and the project file (``.smtpdoctor.toml`` or
``[tool.smtpdoctor]`` in ``pyproject.toml``) for what smtpdoctor cannot see."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from smtpdoctor.config.clients import CLIENT_IDS
from smtpdoctor.config.families import KNOWN_KEYS, LARAVEL_TLS_KEYS
from smtpdoctor.config.values import AppProfile, ClientChoice

# Python distribution names (normalised) → the client an app using them has.
PYTHON_MAIL_LIBRARIES = (
    ("flask-mail", "flask-mail"),
    ("flask-mailman", "flask-mail"),
    ("aiosmtplib", "aiosmtplib"),
    ("fastapi-mail", "aiosmtplib"),
    ("django", "django"),
)
PROJECT_FILE = ".smtpdoctor.toml"
PROJECT_KEYS = {"client", "defaults", "variables"}
MAX_MANIFEST_BYTES = 2_000_000
NO_MAIL_LIBRARY = "no mail library"  # a Python app that calls smtplib itself


class ProjectFileError(ValueError):
    """The project file cannot be used; the message says why."""

    def __init__(self, file: str, detail: str) -> None:
        super().__init__(detail)
        self.file = file
        self.detail = detail


class Detected(NamedTuple):
    client: str
    file: str
    library: str


def load_app_profile(folder: Path, client_option: str | None, family_hint: str | None = None
                     ) -> AppProfile:
    """The app profile for ``folder``: ``--client`` beats the project file,
    which beats the dependency manifests. Raises ProjectFileError."""
    from smtpdoctor.config.appcode import read_app_code

    project, project_file = read_project_file(folder)
    if client_option and client_option != "auto":
        choice: ClientChoice | None = ClientChoice(client_option, "--client", "why.option")
    else:
        choice = _project_or_manifest(folder, project, project_file, family_hint)
    return AppProfile(client=choice, defaults=project.get("defaults", {}),
                      names=project.get("variables", {}), file=project_file, code=read_app_code(folder))


def manifest_choice(folder: Path) -> ClientChoice | None:
    """The client the folder's project file or manifests name, for rows of many accounts (the
    tenant table's API beside its requirements.txt): no settings to read there, only the code."""
    try:
        project, project_file = read_project_file(folder)
    except ProjectFileError:
        project, project_file = {}, None
    return _project_or_manifest(folder, project, project_file, None)


def _project_or_manifest(folder: Path, project: Mapping[str, Any], project_file: str | None,
                         family_hint: str | None) -> ClientChoice | None:
    if "client" in project:
        return ClientChoice(project["client"], project_file or PROJECT_FILE, "why.project_file",
                            (("client", project["client"]), ("file", str(project_file))))
    found = detect_clients(folder)
    if not found:
        return None
    pick = next((d for d in found if d.client == family_hint), found[0])
    facts = (("file", pick.file), ("library", pick.library))
    why = "why.manifest_no_library" if pick.library == NO_MAIL_LIBRARY else "why.manifest"
    return ClientChoice(pick.client, pick.file, why, facts)


def read_project_file(folder: Path) -> tuple[dict[str, Any], str | None]:
    dedicated = folder / PROJECT_FILE
    if dedicated.is_file():
        return _validated(_toml(dedicated), PROJECT_FILE), PROJECT_FILE
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        try:
            section = _toml(pyproject).get("tool", {}).get("smtpdoctor")
        except ProjectFileError:
            return {}, None  # a broken pyproject.toml is the manifest reader's business
        if isinstance(section, dict):
            return _validated(section, "pyproject.toml [tool.smtpdoctor]"), "pyproject.toml"
    return {}, None


def _toml(path: Path) -> dict[str, Any]:
    import tomllib  # only where a TOML file is there to read

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProjectFileError(path.name, str(exc)) from exc


def _validated(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    unknown = set(raw) - PROJECT_KEYS
    if unknown:
        raise ProjectFileError(where, f"unknown key {sorted(unknown)[0]!r} "
                               f"(known: {', '.join(sorted(PROJECT_KEYS))})")
    out: dict[str, Any] = {}
    if "client" in raw:
        if raw["client"] not in CLIENT_IDS:
            raise ProjectFileError(where, f"client {raw['client']!r} is not one of "
                                   f"{', '.join(CLIENT_IDS)}")
        out["client"] = raw["client"]
    for key in ("defaults", "variables"):
        table = raw.get(key, {})
        if not isinstance(table, dict) or not all(
                isinstance(k, str) and isinstance(v, str | int | bool) for k, v in table.items()):
            raise ProjectFileError(where, f"{key} must be a table of NAME = \"value\"")
        out[key] = {k: _text(v) for k, v in table.items()}
    known = KNOWN_KEYS | set(LARAVEL_TLS_KEYS) | {"EMAIL_PROVIDER", "EMAIL_SERVICE"}
    for app_name, known_name in out.get("variables", {}).items():
        if known_name not in known:
            raise ProjectFileError(where, f"variables.{app_name} = {known_name!r} names no "
                                   "variable smtpdoctor knows (SMTP_HOST, MAIL_PORT, …)")
    # The file maps the app's name to the known one; the loader wants the reverse.
    out["variables"] = {k: a for a, k in out.get("variables", {}).items()}
    return out


def _text(value: str | int | bool) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


# Extras that hold what a project's tests and tools need, not what the app sends with.
DEVELOPMENT_EXTRAS = frozenset({"test", "tests", "testing", "dev", "develop", "docs", "lint", "typing"})


def detect_clients(folder: Path) -> list[Detected]:
    """Every client the folder's manifests point at, most specific first."""
    found: list[Detected] = []
    package = _json(folder / "package.json")
    if _has(package, ("dependencies", "devDependencies"), "nodemailer"):
        found.append(Detected("nodemailer", "package.json", "nodemailer"))
    composer = _json(folder / "composer.json")
    for library in ("laravel/framework", "symfony/mailer"):
        if _has(composer, ("require",), library):
            found.append(Detected("laravel", "composer.json", library))
            break
    python = list(_python_requirements(folder))
    for name, client in PYTHON_MAIL_LIBRARIES:
        hit = next((file for file, req in python if req == name), None)
        if hit and all(d.client != client for d in found):
            found.append(Detected(client, hit, name))
    if python and not any(d.client in ("flask-mail", "aiosmtplib", "django") for d in found):
        # A Python app without a mail library writes smtplib calls itself.
        found.append(Detected("smtplib", python[0][0], NO_MAIL_LIBRARY))
    return found


def _json(path: Path) -> dict[str, Any]:
    try:
        if path.is_file() and path.stat().st_size < MAX_MANIFEST_BYTES:
            data = json.loads(path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
    except (OSError, UnicodeDecodeError, ValueError):
        pass
    return {}


def _has(manifest: Mapping[str, Any], sections: Iterable[str], name: str) -> bool:
    return any(isinstance(manifest.get(s), dict) and name in manifest[s] for s in sections)


def _normalise(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else ""


def _python_requirements(folder: Path) -> Iterable[tuple[str, str]]:
    """(file, normalised distribution name) for each Python dependency."""
    for path in sorted(folder.glob("requirements*.txt")):
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            if line.strip() and not line.lstrip().startswith(("#", "-")):
                yield path.name, _normalise(line)
    for name, sections in (("pyproject.toml", ()), ("Pipfile", ("packages", "dev-packages"))):
        path = folder / name
        if not path.is_file():
            continue
        import tomllib

        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        if name == "pyproject.toml":
            project = data.get("project", {})
            if project.get("name") == "smtpdoctor":
                continue  # smtpdoctor's own checkout: its dependencies are the tool's, no app's
            reqs = list(project.get("dependencies", []))
            for extra, listed in project.get("optional-dependencies", {}).items():
                if extra.lower() not in DEVELOPMENT_EXTRAS:
                    reqs += list(listed)
            reqs += list(data.get("tool", {}).get("poetry", {}).get("dependencies", {}))
        else:
            reqs = [k for s in sections for k in data.get(s, {})]
        for req in reqs:
            if isinstance(req, str) and _normalise(req) not in ("", "python"):
                yield name, _normalise(req)
