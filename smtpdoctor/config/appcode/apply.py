"""The app's code readings applied to the variables it sees: each setting becomes what the
code computes from them, with the code as its origin. They rank above the library's
defaults and below nothing the user wrote: the code reads the .env and the environment
itself; the project file's ``[defaults]`` still win (they state what the code does, by hand)."""

from __future__ import annotations

from collections.abc import Mapping

from smtpdoctor.config.appcode.evaluate import BOOL_KEYS, code_variables, evaluate
from smtpdoctor.config.families import PASSWORD_KEYS
from smtpdoctor.config.reading import Add, parse_bool
from smtpdoctor.config.values import AppProfile, CodeRaises, Origin, RawValue, Source
from smtpdoctor.model import Severity

USER_SOURCES = (Source.DOTENV, Source.ENVIRONMENT, Source.ROW, Source.TRIAL)


def apply_app_code(merged: Mapping[str, RawValue], app: AppProfile, add: Add
                   ) -> tuple[dict[str, RawValue], dict[str, str]]:
    """``merged`` as the app's client sees it through the code, and the current values of the
    variables the code reads (a password's left out)."""
    code = app.code
    assert code is not None
    env = {name: raw.value for name, raw in merged.items()}
    out = dict(merged)
    for variable, file in code.ignored.items():
        raw = out.get(variable)
        if raw is not None and raw.origin.source in USER_SOURCES and raw.origin.source is not Source.TRIAL:
            del out[variable]
            add(Severity.WARNING, "config.code_ignores", variable=variable, file=file)
        elif raw is not None and raw.origin.source is Source.TRIAL:
            del out[variable]
    consumed = code_variables(code) - set(code.readings)
    for name in consumed:
        out.pop(name, None)
    for key, reading in code.readings.items():
        if key in app.defaults:
            continue  # the project file states it by hand
        try:
            text = evaluate(reading, env)
        except CodeRaises as exc:
            out.pop(key, None)
            add(Severity.ERROR, "config.code_raises", file=reading.where, key=key,
                variables=", ".join(reading.variables) or key, error=str(exc))
            continue
        if key == "MAIL_MAILER":
            if text != "smtp":
                add(Severity.ERROR, "config.mailer_not_smtp", file=reading.where, mailer=text or "null",
                    variable=reading.variables[0] if reading.variables else "MAIL_MAILER")
            out.pop(key, None)
            continue
        variable = reading.variables[0] if len(reading.variables) == 1 else key
        if text is None:
            out.pop(key, None)
        else:
            out[key] = RawValue(variable, text, Origin(Source.APP_CODE, variable, reading.where))
        given = env.get(variable) if len(reading.variables) == 1 else None
        if key in BOOL_KEYS and given is not None and text is not None:
            plain = parse_bool(given)
            if plain is not None and plain != (text == "true"):
                add(Severity.WARNING, "config.code_reads_differently", variable=variable, value=given.strip(),
                    file=reading.where, source=reading.source, read_as=text)
    places: dict[str, list[str]] = {}
    for note in code.notes:
        places.setdefault(note.key, []).append(f"{note.file}:{note.line}")
    for key, where in places.items():
        add(Severity.INFO, "config.code_not_understood", key=key, file=", ".join(dict.fromkeys(where)))
    if code.skipped:
        add(Severity.INFO, "config.code_not_read", languages=", ".join(code.skipped))
    secret_variables = {v for k, r in code.readings.items() if k in PASSWORD_KEYS for v in r.variables}
    code_env = {v: env[v] for v in code_variables(code) if v in env and v not in secret_variables}
    return out, code_env
