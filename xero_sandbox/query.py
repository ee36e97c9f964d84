"""Xero's `where` and `order` query language, compiled to Python predicates and sort keys.

Supports `==`/`=`/`!=`/`>`/`>=`/`<`/`<=`, `AND`/`&&`, `OR`/`||`, `!`, parentheses, dotted paths
(`Contact.ContactID`), `guid("…")`, `DateTime(y,m,d[,h,m,s])`, `DateTime.Parse("…")`, `null`,
`true`/`false`, numbers, strings and `.Contains/.StartsWith/.EndsWith("…")`. Anything else is a
QueryParseException, as Xero answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

Getter = Callable[[Any], Any]
Fields = dict[str, Getter]  # lower-case field path -> getter

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>\d+(?:\.\d+)?)|(?P<op>==|!=|>=|<=|&&|\|\||[<>()!,.=])|(?P<id>[A-Za-z_][A-Za-z0-9_]*))'
)


class QueryError(ValueError):
    """A `where`/`order` that Xero would reject with ErrorNumber 16."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos, text = [], 0, text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError("Expression expected")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _norm(v: Any) -> Any:
    """Comparable form: datetimes/dates to aware datetimes, GUID strings lower-cased."""
    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=UTC)
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day, tzinfo=UTC)
    return v


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


class _Parser:
    def __init__(self, text: str, fields: Fields) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.fields = fields

    def peek(self, k: int = 0) -> tuple[str, str]:
        return self.toks[self.i + k] if self.i + k < len(self.toks) else ("eof", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok[0] == "eof" or (value is not None and tok[1].lower() != value.lower()):
            raise QueryError(f"'{value}' expected" if value else "Expression expected")
        self.i += 1
        return tok

    def parse(self) -> Getter:
        fn = self.expr()
        if self.peek()[0] != "eof":
            raise QueryError(f"Syntax error '{self.peek()[1]}'")
        return fn

    def expr(self) -> Getter:
        left = self.conj()
        while self.peek()[1].lower() in ("or", "||"):
            self.take()
            right, prev = self.conj(), left
            left = lambda r, a=prev, b=right: bool(a(r)) or bool(b(r))  # noqa: E731
        return left

    def conj(self) -> Getter:
        left = self.unary()
        while self.peek()[1].lower() in ("and", "&&"):
            self.take()
            right, prev = self.unary(), left
            left = lambda r, a=prev, b=right: bool(a(r)) and bool(b(r))  # noqa: E731
        return left

    def unary(self) -> Getter:
        if self.peek()[1] == "!" or self.peek()[1].lower() == "not":
            self.take()
            inner = self.unary()
            return lambda r: not inner(r)
        if self.peek()[1] == "(":
            self.take("(")
            inner = self.expr()
            self.take(")")
            return inner
        left = self.operand()
        op = self.peek()[1]
        if op in ("==", "=", "!=", ">", ">=", "<", "<="):
            self.take()
            right = self.operand()
            cmp = _OPS["==" if op == "=" else op]

            def compare(r: Any) -> bool:
                a, b = _norm(left(r)), _norm(right(r))
                if isinstance(a, str) and isinstance(b, str) and op in ("==", "=", "!="):
                    return cmp(a.lower(), b.lower()) if _is_guid(a) or _is_guid(b) else cmp(a, b)
                if a is None or b is None:
                    return cmp(a, b) if op in ("==", "=", "!=") else False
                if isinstance(a, (int, Decimal)) and isinstance(b, (int, Decimal)):
                    return cmp(Decimal(a), Decimal(b))
                try:
                    return cmp(a, b)
                except TypeError:
                    return False

            return compare
        return left

    def operand(self) -> Getter:
        kind, text = self.take()
        if kind == "str":
            value = bytes(text[1:-1], "utf-8").decode("unicode_escape")
            return lambda r: value
        if kind == "num":
            n = Decimal(text)
            return lambda r: n
        if kind != "id":
            raise QueryError("Expression expected")
        low = text.lower()
        if low in ("true", "false"):
            b = low == "true"
            return lambda r: b
        if low == "null":
            return lambda r: None
        if low == "guid":
            self.take("(")
            value = self.take()[1].strip('"').lower()
            self.take(")")
            return lambda r: value
        if low == "datetime":
            return self.datetime_literal()
        path = [text]
        while self.peek()[1] == "." and self.peek(1)[0] == "id":
            self.take(".")
            name = self.take()[1]
            if self.peek()[1] == "(":
                return self.method(path, name)
            path.append(name)
        return self.field(path)

    def datetime_literal(self) -> Getter:
        if self.peek()[1] == ".":
            self.take(".")
            self.take("Parse")
            self.take("(")
            raw = self.take()[1].strip('"')
            self.take(")")
            try:
                dt = _norm(datetime.fromisoformat(raw.replace("Z", "+00:00")))
            except ValueError as e:
                raise QueryError("String was not recognized as a valid DateTime.") from e
            return lambda r: dt
        self.take("(")
        parts = [int(self.take()[1])]
        while self.peek()[1] == ",":
            self.take(",")
            parts.append(int(self.take()[1]))
        self.take(")")
        try:
            dt = datetime(*parts, tzinfo=UTC)  # type: ignore[misc]
        except (TypeError, ValueError) as e:
            raise QueryError("Invalid DateTime") from e
        return lambda r: dt

    def field(self, path: list[str]) -> Getter:
        key = ".".join(path).lower()
        getter = self.fields.get(key)
        if getter is None:
            raise QueryError(f"No property or field '{path[-1]}' exists in type")
        return getter

    def method(self, path: list[str], name: str) -> Getter:
        getter = self.field(path)
        self.take("(")
        arg_kind, arg = self.take()
        self.take(")")
        if arg_kind != "str" or name.lower() not in ("contains", "startswith", "endswith"):
            raise QueryError(f"No applicable method '{name}' exists")
        needle = arg[1:-1]
        fn = {"contains": str.__contains__, "startswith": str.startswith, "endswith": str.endswith}[
            name.lower()
        ]
        return lambda r: isinstance(v := getter(r), str) and fn(v, needle)


_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _is_guid(s: str) -> bool:
    return bool(_GUID.match(s))


def compile_where(text: str, fields: Fields) -> Getter:
    """A predicate for a `where` clause; raises QueryError like Xero's QueryParseException."""
    return _Parser(text, fields).parse()


def compile_order(text: str, fields: Fields) -> list[tuple[Getter, bool]]:
    """`Field [ASC|DESC][, …]` -> [(getter, descending)]."""
    out = []
    for part in text.split(","):
        words = part.split()
        if (
            not words
            or len(words) > 2
            or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC"))
        ):
            raise QueryError("Invalid order")
        getter = fields.get(words[0].lower())
        if getter is None:
            raise QueryError(f"No property or field '{words[0]}' exists in type")
        out.append((getter, len(words) == 2 and words[1].upper() == "DESC"))
    return out


def sort_records(items: list[Any], order: list[tuple[Getter, bool]]) -> list[Any]:
    """Stable multi-key sort; None sorts first."""
    for getter, desc in reversed(order):
        items.sort(
            key=lambda r, g=getter: (g(r) is not None, _norm(g(r)) if g(r) is not None else 0),
            reverse=desc,
        )
    return items
