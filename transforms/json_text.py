"""Plain JSON objects, recognised by one regular expression.

A record's detail must be a JSON object as DuckDB's `json_valid` has it (its yyjson parser,
which also takes NaN, Infinity and trailing commas) whose first non-blank character is `{`.
Asking DuckDB costs a query per share (about 1 ms fixed, plus handing it the column) and a
separate first-character test. Nearly every detail is plain JSON (RFC 8259, no extensions),
nested a few levels at most, and every such text is valid for yyjson: `PLAIN_JSON_OBJECT`
matches exactly those, so a Polars pass over the details proves them, and only the rest (deeper
nesting, the lenient forms, escaped surrogates, or invalid text) needs DuckDB's verdict
(tests/transforms/test_record_json_objects.py holds the regular expression to that).

Escaped surrogates (`\\ud83d\\ude00`) are left to DuckDB: a pair is valid, a lone one is not,
and telling them apart here is not worth the pattern's size. Polars strings are valid UTF-8,
so raw text needs no check beyond the control characters JSON forbids in a string.
"""

from __future__ import annotations

#: How deep the pattern follows containers: an object holding arrays of objects (the
#: contract's INVENTORY detail) is three levels. Deeper details go to DuckDB.
PLAIN_DEPTH = 3

_BLANK = r"[ \t\n\r]*"  # JSON's four whitespace characters, no others (yyjson's too)
_ESCAPE = r'\\(?:["\\/bfnrt]|u(?:[0-9a-cA-CefEF][0-9a-fA-F]{3}|[dD][0-7][0-9a-fA-F]{2}))'
_STRING = rf'"(?:[^"\\\x00-\x1f]|{_ESCAPE})*"'
_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"
_SCALAR = rf"(?:{_STRING}|{_NUMBER}|true|false|null)"


def _members(value: str) -> str:
    """`value`, `value`, ... (or nothing), blanks allowed around each."""
    return rf"(?:{_BLANK}{value}{_BLANK}(?:,{_BLANK}{value}{_BLANK})*)?"


def _object_of(value: str) -> str:
    return r"\{" + _members(rf"{_STRING}{_BLANK}:{_BLANK}{value}") + _BLANK + r"\}"


def _array_of(value: str) -> str:
    return r"\[" + _members(value) + _BLANK + r"\]"


def plain_json_object(depth: int = PLAIN_DEPTH) -> str:
    """A regular expression matching a whole text that is one plain JSON object, blanks
    around it allowed, with containers nested at most `depth` levels (the object counts)."""
    value = _SCALAR
    for _ in range(depth - 1):
        value = f"(?:{_SCALAR}|{_array_of(value)}|{_object_of(value)})"
    return f"^{_BLANK}{_object_of(value)}{_BLANK}$"


PLAIN_JSON_OBJECT = plain_json_object()

#: A text whose first non-blank character is `{`: the half of the detail check that DuckDB's
#: `json_valid` does not make, for the details the pattern above leaves to DuckDB.
STARTS_AN_OBJECT = rf"^{_BLANK}\{{"
