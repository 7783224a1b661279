"""Python mail-configuration code, read with ``ast`` and never run.

An assignment to a known setting (``MAIL_USE_TLS = …`` at module or class level, in a Flask
config class or a Django settings module; ``app.config['MAIL_PORT'] = …``;
``app.config.update(MAIL_SERVER=…)``) becomes a reading: its expression compiled into a small
function of the environment. Only a whitelist of node types is understood — environment
look-ups (``os.environ.get``, ``os.getenv``, ``os.environ[…]``, python-decouple's
``config``, django-environ's ``env``/``env.bool``/``env.int``/``env.str``), literals,
``or``/``and``/``not``, comparisons, ``x if c else y``, ``int``/``str``/``bool``/``float``
and the string methods ``lower``/``upper``/``strip``/``casefold`` — and anything else is a
note, never a guess.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from smtpdoctor.config.appcode.values import BULK_PYTHON, Fn, ReadOutcome, guarded
from smtpdoctor.config.families import KNOWN_KEYS
from smtpdoctor.config.values import CodeNote, CodeRaises, CodeReading

MISSING = object()  # decouple / django-environ: no default given

# python-decouple 3.8: cast=bool is strtobool (its TRUE_VALUES / FALSE_VALUES, any case; '' is
# false; anything else raises ValueError).
DECOUPLE_BOOLEANS = {**dict.fromkeys(("on", "true", "1", "t", "y", "yes"), True),
                     **dict.fromkeys(("n", "off", "f", "0", "no", "false", ""), False)}
# django-environ 0.11: Env.BOOLEAN_TRUE_STRINGS (a number is true when it is not 0).
ENVIRON_TRUE = ("true", "on", "ok", "y", "yes", "1")
COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}
CASTS: dict[str, Callable[[Any], Any]] = {"int": int, "str": str, "bool": bool, "float": float}
STRING_METHODS = ("lower", "upper", "strip", "casefold", "lstrip", "rstrip")


class NotUnderstood(Exception):
    pass


@dataclass(eq=False, repr=False)  # state: only its __init__ is generated
class _Scope:
    """What the module's imports and earlier assignments make of a name."""

    os_modules: set[str] = field(default_factory=set)  # import os [as x]
    environ_names: set[str] = field(default_factory=set)  # from os import environ
    getenv_names: set[str] = field(default_factory=set)  # from os import getenv
    decouple_names: set[str] = field(default_factory=set)  # from decouple import config
    environ_modules: set[str] = field(default_factory=set)  # import environ
    env_objects: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)  # env = environ.Env(…)
    names: dict[str, ast.expr] = field(default_factory=dict)  # NAME = expr, earlier in the module
    depth: int = 0


def read_python(text: str, shown: str) -> ReadOutcome:
    """The readings and notes in one Python file's text (``shown`` names it in reports)."""
    out = ReadOutcome()
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return out
    scope = _Scope()
    lines = source_lines(text)
    out.bulk = any(word in text for word in BULK_PYTHON)
    for node in ast.walk(tree):
        _note_imports(node, scope)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isupper():
            out.mentioned.add(node.value)
    for body in _bodies(tree):
        for statement in body:
            for key, value in _assignments(statement, scope):
                _read(key, value, statement, scope, shown, out, lines)
    return out


def _bodies(tree: ast.Module) -> list[list[ast.stmt]]:
    """The module's statements and each top-level class's (a Flask config class)."""
    bodies = [tree.body]
    bodies += [n.body for n in tree.body if isinstance(n, ast.ClassDef)]
    # `def create_app(): app.config[…] = …` — the factory's own statements.
    bodies += [n.body for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    return bodies


def _note_imports(node: ast.AST, scope: _Scope) -> None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name == "os":
                scope.os_modules.add(alias.asname or "os")
            elif alias.name == "environ":
                scope.environ_modules.add(alias.asname or "environ")
    elif isinstance(node, ast.ImportFrom):
        for alias in node.names:
            name = alias.asname or alias.name
            if node.module == "os" and alias.name == "environ":
                scope.environ_names.add(name)
            elif node.module == "os" and alias.name == "getenv":
                scope.getenv_names.add(name)
            elif node.module == "decouple" and alias.name == "config":
                scope.decouple_names.add(name)
            elif node.module == "environ" and alias.name == "Env":
                scope.environ_modules.add("")  # Env(...) called bare


def _assignments(statement: ast.stmt, scope: _Scope) -> list[tuple[str, ast.expr]]:
    """(key, expression) for each setting the statement assigns; records other names."""
    found: list[tuple[str, ast.expr]] = []
    if isinstance(statement, ast.Assign | ast.AnnAssign) and statement.value is not None:
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        for target in targets:
            if isinstance(target, ast.Name):
                if _is_env_object(statement.value, scope):
                    scope.env_objects[target.id] = _env_scheme(statement.value)
                elif target.id in KNOWN_KEYS:
                    found.append((target.id, statement.value))
                else:
                    scope.names[target.id] = statement.value
            elif (isinstance(target, ast.Subscript) and _is_config(target.value)
                  and isinstance(target.slice, ast.Constant) and target.slice.value in KNOWN_KEYS):
                found.append((str(target.slice.value), statement.value))
    elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        call = statement.value
        if (isinstance(call.func, ast.Attribute) and call.func.attr == "update"
                and _is_config(call.func.value)):
            pairs = [(k.arg, k.value) for k in call.keywords if k.arg]
            if call.args and isinstance(call.args[0], ast.Dict):
                pairs += [(k.value, v) for k, v in zip(call.args[0].keys, call.args[0].values, strict=True)
                          if isinstance(k, ast.Constant) and isinstance(k.value, str)]
            found += [(str(k), v) for k, v in pairs if k in KNOWN_KEYS]
    return found


def _is_config(node: ast.expr) -> bool:
    """``app.config`` (any name for the app)."""
    return isinstance(node, ast.Attribute) and node.attr == "config"


def _is_env_object(node: ast.expr, scope: _Scope) -> bool:
    """``environ.Env(…)`` (django-environ)."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return ((isinstance(func, ast.Attribute) and func.attr == "Env" and isinstance(func.value, ast.Name)
             and func.value.id in scope.environ_modules)
            or (isinstance(func, ast.Name) and func.id == "Env" and "" in scope.environ_modules))


def _env_scheme(call: ast.expr) -> dict[str, tuple[Any, Any]]:
    """``Env(EMAIL_USE_TLS=(bool, False))``: the cast and default per variable."""
    scheme: dict[str, tuple[Any, Any]] = {}
    assert isinstance(call, ast.Call)
    for keyword in call.keywords:
        value = keyword.value
        if keyword.arg and isinstance(value, ast.Tuple) and len(value.elts) == 2:
            cast, default = value.elts
            if isinstance(cast, ast.Name) and cast.id in CASTS and isinstance(default, ast.Constant):
                scheme[keyword.arg] = (cast.id, default.value)
    return scheme


def source_lines(text: str) -> list[str]:
    """``text``'s lines as the compiler counts them (ended by CR LF, CR or LF, never by a form
    feed), each with its end: ``ast.get_source_segment`` splits the file again on every call,
    which made reading a long settings module quadratic."""
    return _LINE.findall(text)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def segment(lines: list[str], node: ast.stmt | ast.expr) -> str | None:
    """``ast.get_source_segment(text, node)`` from the file's ``source_lines``. The columns
    are UTF-8 byte offsets, as the parser gives them."""
    if node.end_lineno is None or node.end_col_offset is None:
        return None
    first, last, col, end_col = node.lineno - 1, node.end_lineno - 1, node.col_offset, node.end_col_offset
    if first == last:
        return lines[first].encode()[col:end_col].decode()
    return "".join([lines[first].encode()[col:].decode(), *lines[first + 1:last],
                    lines[last].encode()[:end_col].decode()])


def _read(key: str, value: ast.expr, statement: ast.stmt, scope: _Scope, shown: str,
          out: ReadOutcome, lines: list[str]) -> None:
    source = segment(lines, statement) or key
    source = " ".join(source.split())
    variables: list[str] = []
    try:
        fn = _compile(value, scope, variables)
    except NotUnderstood:
        out.notes.append(CodeNote(shown, statement.lineno, key, source))
        return
    out.readings.append(CodeReading(key, tuple(dict.fromkeys(variables)), source, shown,
                                    statement.lineno, "python", guarded(fn)))



def _compile(node: ast.expr, scope: _Scope, variables: list[str]) -> Fn:
    """A function of the environment for ``node``, or NotUnderstood."""
    match node:
        case ast.Constant(value=value):
            return lambda env: value
        case ast.List(elts=elts) | ast.Tuple(elts=elts) | ast.Set(elts=elts):
            parts = [_compile(e, scope, variables) for e in elts]
            return lambda env: [p(env) for p in parts]
        case ast.Name(id=name) if name in scope.names and scope.depth < 8:
            scope.depth += 1
            try:
                return _compile(scope.names[name], scope, variables)
            finally:
                scope.depth -= 1
        case ast.BoolOp(op=op, values=values):
            parts = [_compile(v, scope, variables) for v in values]
            return _either(parts) if isinstance(op, ast.Or) else _both(parts)
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            inner = _compile(operand, scope, variables)
            return lambda env: not inner(env)
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            first = _compile(left, scope, variables)
            rest = [(COMPARE[type(o)], _compile(c, scope, variables))
                    for o, c in zip(ops, comparators, strict=True) if type(o) in COMPARE]
            if len(rest) != len(ops):
                raise NotUnderstood
            return lambda env: _chain(first(env), rest, env)
        case ast.IfExp(test=test, body=body, orelse=orelse):
            t, b, o = (_compile(n, scope, variables) for n in (test, body, orelse))
            return lambda env: b(env) if t(env) else o(env)
        case ast.Subscript(value=value, slice=ast.Constant(value=str() as name)) if _is_environ(value, scope):
            variables.append(name)
            return lambda env: _required(env, name, "KeyError")
        case ast.Call():
            return _compile_call(node, scope, variables)
    raise NotUnderstood


def _chain(left: Any, rest: list[tuple[Callable[[Any, Any], Any], Fn]], env: Mapping[str, str]) -> bool:
    for compare, right_fn in rest:
        right = right_fn(env)
        if not compare(left, right):
            return False
        left = right
    return True


def _either(parts: list[Fn]) -> Fn:
    def run(env: Mapping[str, str]) -> Any:
        value = None
        for part in parts:
            value = part(env)
            if value:
                return value
        return value
    return run


def _both(parts: list[Fn]) -> Fn:
    def run(env: Mapping[str, str]) -> Any:
        value: Any = True
        for part in parts:
            value = part(env)
            if not value:
                return value
        return value
    return run


def _required(env: Mapping[str, str], name: str, error: str) -> str:
    if name not in env:
        raise CodeRaises(error)
    return env[name]


def _is_environ(node: ast.expr, scope: _Scope) -> bool:
    return ((isinstance(node, ast.Attribute) and node.attr == "environ" and isinstance(node.value, ast.Name)
             and node.value.id in scope.os_modules)
            or (isinstance(node, ast.Name) and node.id in scope.environ_names))


def _constant_key(call: ast.Call, variables: list[str]) -> str:
    if not call.args or not isinstance(call.args[0], ast.Constant) or not isinstance(call.args[0].value, str):
        raise NotUnderstood  # a computed variable name
    name = call.args[0].value
    variables.append(name)
    return name


def _compile_call(call: ast.Call, scope: _Scope, variables: list[str]) -> Fn:
    func = call.func
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    if len(keywords) != len(call.keywords):
        raise NotUnderstood  # **kwargs
    # os.environ.get(K, d) / os.getenv(K, d) / getenv / environ.get
    if ((isinstance(func, ast.Attribute) and func.attr == "get" and _is_environ(func.value, scope))
            or (isinstance(func, ast.Attribute) and func.attr == "getenv" and isinstance(func.value, ast.Name)
                and func.value.id in scope.os_modules)
            or (isinstance(func, ast.Name) and func.id in scope.getenv_names)):
        name = _constant_key(call, variables)
        default_node = call.args[1] if len(call.args) > 1 else keywords.get("default")
        default = _compile(default_node, scope, variables) if default_node is not None else (lambda env: None)
        return lambda env: env[name] if name in env else default(env)
    if isinstance(func, ast.Name) and func.id in scope.decouple_names:
        return _decouple(call, keywords, scope, variables)
    if isinstance(func, ast.Name) and func.id in scope.env_objects:
        return _django_environ(call, keywords, scope, variables, scope.env_objects[func.id], None)
    if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            and func.value.id in scope.env_objects and func.attr in ("bool", "int", "str", "float")):
        return _django_environ(call, keywords, scope, variables, scope.env_objects[func.value.id], func.attr)
    if isinstance(func, ast.Name) and func.id in CASTS and not keywords:
        parts = [_compile(a, scope, variables) for a in call.args]
        cast = CASTS[func.id]
        if func.id == "int" and len(parts) == 2:
            return lambda env: int(parts[0](env), parts[1](env))
        if len(parts) != 1:
            raise NotUnderstood
        return lambda env: cast(parts[0](env))
    if isinstance(func, ast.Attribute) and func.attr in STRING_METHODS and not call.args and not keywords:
        inner = _compile(func.value, scope, variables)
        method = func.attr
        return lambda env: getattr(inner(env), method)()
    raise NotUnderstood


def _decouple(call: ast.Call, keywords: dict[str, ast.expr], scope: _Scope,
              variables: list[str]) -> Fn:
    """python-decouple's ``config(K, default=…, cast=…)``: the environment, else the default;
    the cast applies to both; no value and no default raises UndefinedValueError."""
    name = _constant_key(call, variables)
    default_node = call.args[1] if len(call.args) > 1 else keywords.get("default")
    default = _compile(default_node, scope, variables) if default_node is not None else None
    cast_node = keywords.get("cast")
    cast: Callable[[Any], Any] = lambda v: v  # noqa: E731
    if cast_node is not None:
        if not (isinstance(cast_node, ast.Name) and cast_node.id in CASTS):
            raise NotUnderstood
        cast = _decouple_bool if cast_node.id == "bool" else CASTS[cast_node.id]

    def run(env: Mapping[str, str]) -> Any:
        if name in env:
            return cast(env[name])
        if default is None:
            raise CodeRaises("UndefinedValueError")
        return cast(default(env))
    return run


def _decouple_bool(value: Any) -> bool:
    word = str(value).lower()
    if word not in DECOUPLE_BOOLEANS:
        raise CodeRaises("ValueError")
    return DECOUPLE_BOOLEANS[word]


def _django_environ(call: ast.Call, keywords: dict[str, ast.expr], scope: _Scope,
                    variables: list[str], scheme: dict[str, tuple[Any, Any]], method: str | None) -> Fn:
    """django-environ: ``env('K', default=…)``, ``env.bool('K', default=False)``… The value is
    parsed by the cast; a default is returned as written; no value and no default raises
    ImproperlyConfigured. ``Env(K=(cast, default))`` gives both for a bare ``env('K')``; with
    no cast, a default's type is the cast (smart_cast), and an empty value with a None
    default is None (django-environ 0.12's get_value)."""
    name = _constant_key(call, variables)
    cast_name, scheme_default = scheme.get(name, (None, MISSING))
    cast_name = method or cast_name
    if "cast" in keywords:
        raise NotUnderstood
    default_node = call.args[1] if len(call.args) > 1 else keywords.get("default")
    default = _compile(default_node, scope, variables) if default_node is not None else None

    def run(env: Mapping[str, str]) -> Any:
        fallback = default(env) if default is not None else scheme_default
        if name not in env:
            if fallback is MISSING:
                raise CodeRaises("ImproperlyConfigured")
            return fallback
        value: Any = env[name]
        cast = cast_name
        if cast is None and fallback is not None and fallback is not MISSING:
            cast = type(fallback).__name__
        if fallback is None and value == "":
            return None
        return value if value == fallback else _environ_cast(value, cast)
    return run


def _environ_cast(value: str, cast: str | None) -> Any:
    if cast == "bool":
        try:
            return int(value) != 0
        except ValueError:
            return value.lower().strip() in ENVIRON_TRUE
    if cast in ("int", "float"):
        return CASTS[cast](value)
    return value

