"""JavaScript, TypeScript and PHP mail-configuration code, parsed with tree-sitter (the
``code`` extra) and never run.

JavaScript/TypeScript: the options object of ``createTransport({...})`` (nodemailer,
``nodemailer.createTransport``, compiled TypeScript's ``(0, nodemailer_1.createTransport)``),
resolved through the file's own ``const`` declarations and ``const {X} = process.env``.
PHP: Laravel's ``config/mail.php`` (the default mailer, the smtp mailer's settings, the
sender address) with Laravel's ``env()`` conversions. Each value's expression becomes a
function of the environment over a whitelist of node types; anything else is a note.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from smtpdoctor.config.appcode.values import Fn, ReadOutcome, guarded
from smtpdoctor.config.values import CodeNote, CodeRaises, CodeReading

Node = Any  # tree_sitter.Node

# nodemailer's createTransport options → the known names the nodemailer family reads.
NODEMAILER_OPTIONS = {("host",): "EMAIL_HOST", ("port",): "EMAIL_PORT", ("secure",): "EMAIL_SECURE",
                      ("service",): "EMAIL_PROVIDER", ("auth", "user"): "EMAIL_USER",
                      ("auth", "pass"): "EMAIL_PASS"}
# Options smtpdoctor reads but does not model: said as a note when the code sets them.
NODEMAILER_UNMODELLED = ("requireTLS", "ignoreTLS", "proxy", "url")
# Laravel's config/mail.php: the smtp mailer's keys and the sender's.
LARAVEL_KEYS = {("mailers", "smtp", "host"): "MAIL_HOST", ("mailers", "smtp", "port"): "MAIL_PORT",
                ("mailers", "smtp", "username"): "MAIL_USERNAME",
                ("mailers", "smtp", "password"): "MAIL_PASSWORD",
                ("mailers", "smtp", "scheme"): "MAIL_SCHEME",
                ("mailers", "smtp", "encryption"): "MAIL_ENCRYPTION",
                ("from", "address"): "MAIL_FROM_ADDRESS"}
# Illuminate\Support\Env::get's special values (case-insensitive).
LARAVEL_ENV_WORDS: dict[str, Any] = {"true": True, "(true)": True, "false": False, "(false)": False,
                                     "empty": "", "(empty)": "", "null": None, "(null)": None}
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0"}


class NotUnderstood(Exception):
    pass


def _parser(language: str) -> Any:
    from tree_sitter import Language, Parser

    if language == "typescript":
        import tree_sitter_typescript

        return Parser(Language(tree_sitter_typescript.language_typescript()))
    if language == "php":
        import tree_sitter_php

        return Parser(Language(tree_sitter_php.language_php()))
    import tree_sitter_javascript

    return Parser(Language(tree_sitter_javascript.language()))


def _text(node: Node) -> str:
    return bytes(node.text).decode("utf-8", errors="replace")


def _walk(node: Node) -> Any:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


# --- JavaScript / TypeScript -------------------------------------------------------------


def read_javascript(text: str, shown: str) -> ReadOutcome:
    language = "typescript" if shown.endswith((".ts", ".mts", ".cts")) else "javascript"
    tree = _parser(language).parse(text.encode("utf-8"))
    out = ReadOutcome()
    scope = _JsScope()
    for node in _walk(tree.root_node):
        if node.type == "variable_declarator":
            scope.declare(node)
        elif node.type == "member_expression" and _is_process_env(node.child_by_field_name("object")):
            out.mentioned.add(_text(node.child_by_field_name("property")))
        elif node.type == "string_fragment" and _text(node).isupper():
            out.mentioned.add(_text(node))
    for node in _walk(tree.root_node):
        if node.type == "call_expression" and _is_create_transport(node.child_by_field_name("function")):
            _read_transport(node, scope, shown, out)
    return out


class _JsScope:
    """The file's ``const``/``let``/``var`` names: each name's expression, and names
    destructured from ``process.env``."""

    def __init__(self) -> None:
        self.values: dict[str, Node] = {}
        self.from_env: dict[str, tuple[str, Node | None]] = {}
        self.depth = 0

    def declare(self, declarator: Node) -> None:
        name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
        if name is None or value is None:
            return
        if name.type == "identifier":
            self.values.setdefault(_text(name), value)
        elif name.type == "object_pattern" and _is_process_env(value):
            for part in name.named_children:
                if part.type == "shorthand_property_identifier_pattern":
                    self.from_env[_text(part)] = (_text(part), None)
                elif part.type == "object_assignment_pattern":
                    left, right = part.child_by_field_name("left"), part.child_by_field_name("right")
                    if left is not None:
                        self.from_env[_text(left)] = (_text(left), right)
                elif part.type == "pair_pattern":
                    key, target = part.child_by_field_name("key"), part.child_by_field_name("value")
                    if key is None or target is None:
                        continue
                    if target.type == "identifier":
                        self.from_env[_text(target)] = (_text(key), None)
                    elif target.type == "assignment_pattern":  # { MAIL_HOST: host = 'smtp.163.com' }
                        left, right = target.child_by_field_name("left"), target.child_by_field_name("right")
                        if left is not None and left.type == "identifier":
                            self.from_env[_text(left)] = (_text(key), right)


def _unwrapped(node: Node | None) -> Node | None:
    """Past parentheses and TypeScript's ``as``/``!``/``satisfies``."""
    while node is not None and node.type in ("parenthesized_expression", "as_expression",
                                             "non_null_expression", "satisfies_expression",
                                             "type_assertion"):
        named = [c for c in node.named_children if c.type != "comment"]
        if node.type == "parenthesized_expression" and named and named[-1].type == "sequence_expression":
            named = list(named[-1].named_children)  # (0, nodemailer_1.createTransport)
        if not named:
            return None
        node = named[-1] if node.type == "parenthesized_expression" else named[0]
    return node


def _is_process_env(node: Node | None) -> bool:
    node = _unwrapped(node)
    return (node is not None and node.type == "member_expression"
            and _text(node).replace(" ", "") == "process.env")


def _is_create_transport(node: Node | None) -> bool:
    node = _unwrapped(node)
    if node is None:
        return False
    if node.type == "identifier":
        return _text(node) == "createTransport"
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return prop is not None and _text(prop) == "createTransport"
    return False


def _read_transport(call: Node, scope: _JsScope, shown: str, out: ReadOutcome) -> None:
    arguments = call.child_by_field_name("arguments")
    first = _unwrapped(arguments.named_children[0]) if arguments and arguments.named_children else None
    if first is not None and first.type == "identifier" and _text(first) in scope.values:
        first = _unwrapped(scope.values[_text(first)])
    line = call.start_point[0] + 1
    if first is None or first.type != "object":
        out.notes.append(CodeNote(shown, line, "EMAIL_HOST", " ".join(_text(call).split())[:120]))
        return
    for path, node, where in _pairs(first, (), scope):
        key = NODEMAILER_OPTIONS.get(path)
        source = f"{'.'.join(path)}: {' '.join(_text(node).split())}"
        if key is None:
            if path and path[0] in NODEMAILER_UNMODELLED and len(path) == 1:
                out.notes.append(CodeNote(shown, where.start_point[0] + 1, path[0], source))
            continue
        variables: list[str] = []
        try:
            fn = _js(node, scope, variables)
        except NotUnderstood:
            out.notes.append(CodeNote(shown, where.start_point[0] + 1, key, source))
            continue
        out.readings.append(CodeReading(key, tuple(dict.fromkeys(variables)), source, shown,
                                        where.start_point[0] + 1, "javascript", guarded(fn)))


def _pairs(obj: Node, prefix: tuple[str, ...], scope: _JsScope) -> Any:
    """(path, value node, node for its line) for each property, nested objects flattened."""
    for child in obj.named_children:
        if child.type == "pair":
            key_node, value = child.child_by_field_name("key"), child.child_by_field_name("value")
            if key_node is None or value is None:
                continue
            key = _text(key_node).strip("'\"")
            inner = _unwrapped(value)
            if inner is not None and inner.type == "identifier" and _text(inner) in scope.values:
                resolved = _unwrapped(scope.values[_text(inner)])
                inner = resolved if resolved is not None and resolved.type == "object" else inner
            if inner is not None and inner.type == "object":
                yield from _pairs(inner, (*prefix, key), scope)
            else:
                yield (*prefix, key), value, child
        elif child.type == "shorthand_property_identifier":
            yield (*prefix, _text(child)), child, child



def _js_string(node: Node) -> str:
    parts = []
    for child in node.named_children:
        if child.type == "string_fragment":
            parts.append(_text(child))
        elif child.type == "escape_sequence":
            parts.append(ESCAPES.get(_text(child)[1:], _text(child)[1:]))
    return "".join(parts)


def _js(node: Node, scope: _JsScope, variables: list[str]) -> Fn:
    node = _unwrapped(node)
    if node is None:
        raise NotUnderstood
    kind = node.type
    if kind == "string":
        value = _js_string(node)
        return lambda env: value
    if kind == "number":
        number = float(int(_text(node), 0)) if _text(node).lower().startswith("0x") else float(_text(node))
        return lambda env: number
    if kind in ("true", "false"):
        flag = kind == "true"
        return lambda env: flag
    if kind in ("null", "undefined") or (kind == "identifier" and _text(node) == "undefined"):
        return lambda env: None
    if kind == "template_string":
        pieces: list[Fn] = []
        for child in node.named_children:
            if child.type == "string_fragment":
                pieces.append(_constant(_text(child)))
            elif child.type == "template_substitution":
                pieces.append(_js(child.named_children[0], scope, variables))
            else:
                raise NotUnderstood
        return lambda env: "".join(_js_str(p(env)) for p in pieces)
    if kind in ("member_expression", "subscript_expression"):
        holder = node.child_by_field_name("object")
        if _is_process_env(holder):
            name_node = node.child_by_field_name("property" if kind == "member_expression" else "index")
            if name_node is None or (kind == "subscript_expression" and name_node.type != "string"):
                raise NotUnderstood
            name = _text(name_node) if kind == "member_expression" else _js_string(name_node)
            variables.append(name)
            return lambda env: env.get(name)
        raise NotUnderstood
    if kind in ("identifier", "shorthand_property_identifier"):
        name = _text(node)
        if name in scope.from_env:
            variable, default = scope.from_env[name]
            variables.append(variable)
            fallback = _js(default, scope, variables) if default is not None else (lambda env: None)
            return lambda env: env[variable] if env.get(variable) is not None else fallback(env)
        if name in scope.values and scope.depth < 8:
            scope.depth += 1
            try:
                return _js(scope.values[name], scope, variables)
            finally:
                scope.depth -= 1
        raise NotUnderstood
    if kind == "array":
        items = [_js(c, scope, variables) for c in node.named_children]
        return lambda env: [i(env) for i in items]
    if kind == "unary_expression":
        operator_text = _text(node.child_by_field_name("operator"))
        inner = _js(node.child_by_field_name("argument"), scope, variables)
        if operator_text == "!":
            return lambda env: not _truthy(inner(env))
        if operator_text in ("+", "-"):
            sign = -1.0 if operator_text == "-" else 1.0
            return lambda env: sign * _number(inner(env))
        raise NotUnderstood
    if kind == "binary_expression":
        return _js_binary(node, scope, variables)
    if kind == "ternary_expression":
        test, yes, no = (_js(node.child_by_field_name(f), scope, variables)
                         for f in ("condition", "consequence", "alternative"))
        return lambda env: yes(env) if _truthy(test(env)) else no(env)
    if kind == "call_expression":
        return _js_call(node, scope, variables)
    raise NotUnderstood


def _js_binary(node: Node, scope: _JsScope, variables: list[str]) -> Fn:
    op = _text(node.child_by_field_name("operator"))
    left = _js(node.child_by_field_name("left"), scope, variables)
    right = _js(node.child_by_field_name("right"), scope, variables)
    if op == "||":
        return lambda env: (lambda v: v if _truthy(v) else right(env))(left(env))
    if op == "&&":
        return lambda env: (lambda v: right(env) if _truthy(v) else v)(left(env))
    if op == "??":
        return lambda env: (lambda v: right(env) if v is None else v)(left(env))
    if op in ("===", "!=="):
        same = op == "==="
        return lambda env: _strict_equal(left(env), right(env)) == same
    if op in ("==", "!="):
        same = op == "=="
        return lambda env: _loose_equal(left(env), right(env)) == same
    if op == "+":
        def add(env: Mapping[str, str]) -> Any:
            a, b = left(env), right(env)
            if isinstance(a, str) or isinstance(b, str):
                return _js_str(a) + _js_str(b)
            return _number(a) + _number(b)
        return add
    if op in ("<", ">", "<=", ">="):
        compare: Callable[[float, float], bool] = {"<": float.__lt__, ">": float.__gt__, "<=": float.__le__,
                                                   ">=": float.__ge__}[op]
        return lambda env: compare(_number(left(env)), _number(right(env)))
    raise NotUnderstood


def _js_call(node: Node, scope: _JsScope, variables: list[str]) -> Fn:
    func = _unwrapped(node.child_by_field_name("function"))
    arguments = node.child_by_field_name("arguments")
    args = [_js(a, scope, variables) for a in (arguments.named_children if arguments else [])]
    if func is not None and func.type == "identifier":
        name = _text(func)
        if name == "Number" and len(args) == 1:
            return lambda env: _number(args[0](env))
        if name in ("parseInt", "parseFloat") and args:
            whole = name == "parseInt"
            return lambda env: _parse_number(args[0](env), whole)
        if name == "String" and len(args) == 1:
            return lambda env: _js_str(args[0](env))
        if name == "Boolean" and len(args) == 1:
            return lambda env: _truthy(args[0](env))
        raise NotUnderstood
    if func is not None and func.type == "member_expression":
        method = _text(func.child_by_field_name("property"))
        target = _js(func.child_by_field_name("object"), scope, variables)
        strings: dict[str, Callable[[str], str]] = {"toLowerCase": str.lower, "toUpperCase": str.upper,
                                                    "trim": str.strip}
        if method in strings and not args:
            change = strings[method]
            return lambda env: change(_need_string(target(env)))
        if method == "includes" and len(args) == 1:
            return lambda env: _includes(target(env), args[0](env))
    raise NotUnderstood


def _constant(value: Any) -> Fn:
    return lambda env: value


def _need_string(value: Any) -> str:
    if not isinstance(value, str):
        raise CodeRaises("TypeError")  # undefined.toLowerCase()
    return value


def _includes(holder: Any, item: Any) -> bool:
    if isinstance(holder, list):
        return any(_strict_equal(x, item) for x in holder)
    if isinstance(holder, str):
        return _js_str(item) in holder
    raise CodeRaises("TypeError")


def _truthy(value: Any) -> bool:
    if value is None or value is False or value == "":
        return False
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    return True


def _number(value: Any) -> float:
    """``Number(value)``."""
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            return float(int(text, 0)) if text.lower().startswith(("0x", "0o", "0b")) else float(text)
        except ValueError:
            return math.nan
    return math.nan


def _parse_number(value: Any, whole: bool) -> float:
    match = re.match(r"\s*([+-]?\d+)" if whole else r"\s*([+-]?\d*\.?\d+(?:[eE][+-]?\d+)?)", _js_str(value))
    return float(match.group(1)) if match else math.nan


def _js_str(value: Any) -> str:
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else (str(int(value)) if value.is_integer() else repr(value))
    return str(value)


def _strict_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, float) and isinstance(b, float):
        return a == b
    return type(a) is type(b) and a == b


def _loose_equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return _number(a) == _number(b)


# --- PHP: Laravel's config/mail.php ------------------------------------------------------------


def read_php(text: str, shown: str) -> ReadOutcome:
    out = ReadOutcome()
    if not shown.endswith("config/mail.php") and shown != "mail.php":
        return out
    tree = _parser("php").parse(text.encode("utf-8"))
    array = next((n.named_children[0] for n in _walk(tree.root_node)
                  if n.type == "return_statement" and n.named_children
                  and n.named_children[0].type == "array_creation_expression"), None)
    if array is None:
        return out
    for node in _walk(tree.root_node):
        if node.type == "string_content" and _text(node).isupper():
            out.mentioned.add(_text(node))
    entries = dict(_php_entries(array, ()))
    for path, key in LARAVEL_KEYS.items():
        if path in entries:
            _php_reading(key, path, entries[path], shown, out)
    if ("default",) in entries:
        transports = {p[1]: entries[p] for p in entries
                      if len(p) == 3 and p[0] == "mailers" and p[2] == "transport"}
        _php_mailer(entries[("default",)], transports, shown, out)
    return out


def _php_entries(array: Node, prefix: tuple[str, ...]) -> Any:
    for element in array.named_children:
        if element.type != "array_element_initializer" or len(element.named_children) != 2:
            continue
        key_node, value = element.named_children
        if key_node.type not in ("string", "encapsed_string"):
            continue
        key = _php_string(key_node)
        if value.type == "array_creation_expression":
            yield from _php_entries(value, (*prefix, key))
        else:
            yield (*prefix, key), value


def _php_string(node: Node) -> str:
    return "".join(_text(c) if c.type == "string_content" else ESCAPES.get(_text(c)[1:], _text(c))
                   for c in node.named_children if c.type in ("string_content", "escape_sequence"))


def _php_reading(key: str, path: tuple[str, ...], node: Node, shown: str, out: ReadOutcome) -> None:
    source = f"'{path[-1]}' => {' '.join(_text(node).split())}"
    variables: list[str] = []
    line = node.start_point[0] + 1
    try:
        fn = _php(node, variables)
    except NotUnderstood:
        out.notes.append(CodeNote(shown, line, key, source))
        return
    out.readings.append(CodeReading(key, tuple(dict.fromkeys(variables)), source, shown, line, "php",
                                    guarded(fn)))


def _php_mailer(node: Node, transports: dict[str, Node], shown: str, out: ReadOutcome) -> None:
    """The default mailer's transport: the mailer named, looked up in 'mailers'."""
    variables: list[str] = []
    try:
        name_fn = _php(node, variables)
        kinds = {name: _php(t, []) for name, t in transports.items()}
    except NotUnderstood:
        out.notes.append(CodeNote(shown, node.start_point[0] + 1, "MAIL_MAILER", _text(node)))
        return

    def transport(env: Mapping[str, str]) -> Any:
        name = name_fn(env)
        if isinstance(name, str) and name in kinds:
            return kinds[name](env)
        return name
    source = f"'default' => {' '.join(_text(node).split())}"
    out.mailer = CodeReading("MAIL_MAILER", tuple(variables), source, shown, node.start_point[0] + 1, "php",
                             guarded(transport))


def _php(node: Node, variables: list[str]) -> Fn:
    kind = node.type
    if kind in ("string", "encapsed_string"):
        if any(c.type not in ("string_content", "escape_sequence") for c in node.named_children):
            raise NotUnderstood  # "…{$x}…"
        value = _php_string(node)
        return lambda env: value
    if kind == "integer":
        number = int(_text(node), 0)
        return lambda env: number
    if kind == "boolean":
        flag = _text(node).lower() == "true"
        return lambda env: flag
    if kind == "null":
        return lambda env: None
    if kind == "parenthesized_expression":
        return _php(node.named_children[0], variables)
    if kind == "cast_expression":
        cast = _text(node.child_by_field_name("type")).lower()
        inner = _php(node.child_by_field_name("value"), variables)
        casts: dict[str, Callable[[Any], Any]] = {"int": _php_int, "integer": _php_int, "string": _php_str,
                                                  "bool": _php_truthy, "boolean": _php_truthy}
        if cast not in casts:
            raise NotUnderstood
        convert = casts[cast]
        return lambda env: convert(inner(env))
    if kind == "binary_expression":
        op = _text(node.child_by_field_name("operator"))
        left, right = (_php(node.child_by_field_name(f), variables) for f in ("left", "right"))
        if op == "??":
            return lambda env: (lambda v: right(env) if v is None else v)(left(env))
        if op in ("===", "!==", "==", "!="):
            same = op in ("===", "==")
            return lambda env: (left(env) == right(env)) == same
        raise NotUnderstood
    if kind == "function_call_expression":
        name = _text(node.child_by_field_name("function"))
        args = [a.named_children[0] for a in node.child_by_field_name("arguments").named_children
                if a.type == "argument" and a.named_children]
        if name.lstrip("\\") != "env" or not args or args[0].type not in ("string", "encapsed_string"):
            raise NotUnderstood
        variable = _php_string(args[0])
        variables.append(variable)
        default = _php(args[1], variables) if len(args) > 1 else (lambda env: None)
        return lambda env: _laravel_env(env, variable, default)
    raise NotUnderstood


def _laravel_env(env: Mapping[str, str], name: str, default: Fn) -> Any:
    """Laravel's ``env()``: the special words, surrounding quotes removed, else the default."""
    if name not in env:
        return default(env)
    value = env[name]
    word = value.lower()
    if word in LARAVEL_ENV_WORDS:
        return LARAVEL_ENV_WORDS[word]
    if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _php_int(value: Any) -> int:
    if isinstance(value, str):
        match = re.match(r"\s*[+-]?\d+", value)
        return int(match.group(0)) if match else 0
    return int(value or 0)


def _php_str(value: Any) -> str:
    if value is None or value is False:
        return ""
    return "1" if value is True else str(value)


def _php_truthy(value: Any) -> bool:
    return value not in (None, False, "", "0", 0)
