"""The detail check proves plain JSON with a regular expression and asks DuckDB about the rest:
its verdict must be exactly the DuckDB check's (`json_valid`, first non-blank character `{`),
on any text: lenient forms (NaN, trailing commas), escapes and surrogates, control characters,
blanks that are not JSON's, BOM, deep nesting, huge numbers, duplicate keys, trailing garbage,
scalars, arrays, empty text, nulls. Invalid UTF-8 cannot reach it: the details are Polars
strings, validated when the body was decoded."""

import datetime as dt
import json

import duckdb
import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from samples.generator.plan import build_plan
from samples.generator.vocabulary import EVENT_DETAIL_KEYS
from samples.generator.writer import Writer
from tests.fuzz.profile import fuzz
from transforms import records
from transforms.json_text import PLAIN_JSON_OBJECT


def duckdb_verdicts(details: list[str | None]) -> list[bool]:
    """The check as DuckDB alone makes it, written independently of the code under test."""
    return [
        ok
        for (ok,) in duckdb.sql(
            "select coalesce(json_valid(d) and ltrim(d, e' \\t\\r\\n') like '{%', false)"
            " from (select unnest($d) as d, generate_subscripts($d, 1) as i) order by i",
            params={"d": details},
        ).fetchall()
    ]


def checked(details: list[str | None]) -> list[bool]:
    return records._json_objects(pl.Series(details, dtype=pl.String)).to_list()


def proven_plain(details: list[str | None]) -> list[bool]:
    return pl.Series(details, dtype=pl.String).str.contains(PLAIN_JSON_OBJECT).to_list()


# -- texts ------------------------------------------------------------------------------

KEYS = st.sampled_from(['"a"', '"b"', '""', '"見積"', '"\\u00e9"', '"a"'])  # dup keys
NUMBERS = st.one_of(
    st.integers().map(str),
    st.integers(0, 400).map(lambda n: "9" * n or "0"),
    st.floats().map(json.dumps),  # NaN, Infinity, -Infinity too
    st.sampled_from(["-0", "1e999", "1E+2", "0.5e-400", "01", "1.", ".5", "+1", "0x10", "-"]),
    st.sampled_from(["nan", "NAN", "inf", "-Infinity", "Inf", "infinity", "NaN"]),
)
ESCAPES = st.sampled_from(
    ["\\n", "\\\\", '\\"', "\\/", "\\u0000", "\\u00e9", "\\uFFFF", "\\ud800", "\\udc00",
     "\\ud83d\\ude00", "\\ude00\\ud83d", "\\x", "\\U0041", "\\u12", "\\"]
)  # fmt: skip
STRINGS = st.lists(st.one_of(st.text(max_size=4), ESCAPES), max_size=4).map(
    lambda parts: '"' + "".join(p.replace('"', "") for p in parts) + '"'
)
SCALARS = st.one_of(NUMBERS, STRINGS, st.sampled_from(["true", "false", "null", "tru", "nul"]))
BLANKS = st.text(st.sampled_from(" \t\r\n\x0c\x0b\xa0\u2028\ufeff\x00"), max_size=2)
COMMAS = st.sampled_from([",", ",", ",", ", ", " ,", ",,", ""])


@st.composite
def joined(draw, items: list[str], open_: str, close: str) -> str:
    out = open_ + draw(BLANKS)
    for i, item in enumerate(items):
        out += (draw(COMMAS) if i else "") + item + draw(BLANKS)
    if items and draw(st.integers(0, 9)) == 0:
        out += ","  # trailing comma: yyjson (as DuckDB sets it) takes it
    return out + close


def containers(children):
    arrays = st.lists(children, max_size=4).flatmap(lambda items: joined(items, "[", "]"))
    members = st.lists(
        st.tuples(KEYS, st.sampled_from([":", ":", " : ", "", "::"]), children), max_size=4
    ).map(lambda kvs: [k + c + v for k, c, v in kvs])
    objects = members.flatmap(lambda items: joined(items, "{", "}"))
    return st.one_of(arrays, objects)


VALUES = st.recursive(SCALARS, containers, max_leaves=12)
OBJECTS = containers(VALUES).filter(lambda t: t.startswith("{"))
TOKENS = st.sampled_from(
    ["{", "}", "[", "]", ",", ":", '"', "\\", "\\u", "\\ud800", "NaN", "true", "01", "1e999",
     " ", "\r", "\t", "\n", "\x0c", "\x00", "\x01", "\x1f", "\x7f", "\xa0", "\u2028", "\ufeff",
     "\uffff", "\U0010ffff", "見", "/*c*/", "//", "'", ",}", "{}", "[]", '""']
) | st.characters(max_codepoint=0x7F)  # fmt: skip


@st.composite
def mutated(draw, text: str, least: int = 0) -> str:
    for _ in range(draw(st.integers(least, 3))):
        at = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["insert", "delete", "cut", "append"]))
        if how == "insert":
            text = text[:at] + draw(TOKENS) + text[at:]
        elif how == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 3)) :]
        elif how == "cut":
            text = text[:at]
        else:
            text += draw(st.one_of(TOKENS, st.text(max_size=3)))
    return text


def nested(depth: int, open_: str, close: str) -> str:
    inner = '{"a":1}' if open_ == "[" else "1"
    key = '"k":' if open_ == "{" else ""
    return '{"a":' + (open_ + key) * depth + inner + close * depth + "}"


DEEP = st.tuples(st.integers(0, 40), st.sampled_from([("[", "]"), ("{", "}")])).map(
    lambda d: nested(d[0], *d[1])
)

PLAIN_TEXT = st.text(st.characters(max_codepoint=0xFFFF, codec="utf-8"), max_size=6)
PLAIN_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
    PLAIN_TEXT,
)  # fmt: skip
INNER = st.one_of(
    PLAIN_SCALARS,
    st.lists(PLAIN_SCALARS, max_size=3),
    st.dictionaries(PLAIN_TEXT, PLAIN_SCALARS, max_size=3),
)
DEPTH_THREE = st.dictionaries(
    PLAIN_TEXT,
    st.one_of(
        PLAIN_SCALARS,
        st.lists(INNER, max_size=3),
        st.dictionaries(PLAIN_TEXT, INNER, max_size=3),
    ),
    max_size=4,
)


@st.composite
def plain_json(draw, value=DEPTH_THREE) -> str:
    """A plain JSON object as an encoder writes it: every such text needs no DuckDB."""
    text = json.dumps(
        draw(value),
        ensure_ascii=draw(st.booleans()),
        separators=draw(st.sampled_from([(",", ":"), (", ", ": "), (" ,", " : ")])),
        indent=draw(st.sampled_from([None, 0, 2])),
    )
    blank = draw(st.text(st.sampled_from(" \r\n\t"), max_size=2))
    return blank + text + blank


DETAILS = st.one_of(
    plain_json(),
    plain_json().flatmap(lambda text: mutated(text, least=1)),
    plain_json().flatmap(lambda text: mutated(text, least=1)),
    OBJECTS,
    OBJECTS.flatmap(mutated),
    st.tuples(BLANKS, OBJECTS, BLANKS).map("".join),
    VALUES,
    DEEP,
    DEEP.flatmap(mutated),
    st.text(max_size=12),
    st.none(),
)


# -- properties --------------------------------------------------------------------------


@fuzz(4)
@given(st.lists(DETAILS, min_size=1, max_size=12))
def test_the_check_is_duckdbs_on_any_text(details):
    expected = duckdb_verdicts(details)
    # what the regular expression proves, DuckDB accepts (the fast path is sound) ...
    for text, proven, ok in zip(details, proven_plain(details), expected, strict=True):
        assert ok or not proven, text
    # ... and the rows it leaves to DuckDB come back in their places
    assert checked(details) == expected


@fuzz(4)
@given(plain_json())
def test_plain_json_three_deep_needs_no_duckdb(text):
    assert proven_plain([text]) == [True]
    assert duckdb_verdicts([text]) == [True]


def test_every_detail_the_sample_agents_write_needs_no_duckdb():
    day = dt.date(2024, 3, 18)
    plan = build_plan(contracts=1, terminals=3, first_day=day, days=1, uploads_per_day=2,
                      records_per_upload=10, seed=7, bad_files=False)  # fmt: skip
    details = []
    for terminal in plan.terminals:
        writer = Writer(plan, terminal)
        details += [detail for *_, detail in writer.showcase()]
        for type_ in EVENT_DETAIL_KEYS:
            if type_ not in ("INVENTORY", "AGENT"):
                details += [writer.event(type_)[3] for _ in range(20)]
    assert len(details) > 500
    left = [d for d, p in zip(details, proven_plain(details), strict=True) if not p]
    assert left == []
    assert all(duckdb_verdicts(details))


def test_what_the_regular_expression_leaves_is_still_judged_by_duckdb():
    lenient = ['{"a":NaN}', '{"a":1,}', '{"a":[1,],}', '{"a":"\\ud83d\\ude00"}',
               nested(5, "[", "]"), '\r{"a":-Infinity}']  # fmt: skip
    invalid = ['{"a":"\\ud800"}', '{"a":01}', '{"a":1} x', "\ufeff{}", "[]", "", '{"a":"\x01"}']
    details = [*lenient, *invalid, None, '{"a":1}']
    assert proven_plain(details) == [False] * (len(details) - 2) + [None, True]
    assert checked(details) == [True] * len(lenient) + [False] * (len(invalid) + 1) + [True]
    assert duckdb_verdicts(details) == checked(details)


# Every text one edit away from plain JSON: where a too broad pattern would show first.
SEEDS = [
    "{}",
    '{"a":1}',
    ' {"k" : [1, -0.5e+3, 0, true, false, null, "x\\"y\\\\\\u00e9\\/"], "o": {"p": []}}\r',
    '{"a":[{"b":{},"c":[]}],"d":"","e":-0,"f":12E-1}',
]
ALPHABET = [chr(c) for c in range(0x80)] + ["\xa0", "\x85", "\u2028", "\ufeff", "\uffff", "見"]


def one_edit_away(seed: str) -> list[str]:
    out = [seed[:i] + seed[i + 1 :] for i in range(len(seed))]
    for i in range(len(seed) + 1):
        out += [seed[:i] + c + seed[i:] for c in ALPHABET]
        out += [seed[:i] + c + seed[i + 1 :] for c in ALPHABET if i < len(seed)]
    return out


def test_every_text_one_edit_from_plain_json_gets_duckdbs_verdict():
    details = [edited for seed in SEEDS for edited in one_edit_away(seed)]
    expected = duckdb_verdicts(details)
    unsound = [t for t, p, ok in zip(details, proven_plain(details), expected, strict=True)
               if p and not ok]  # fmt: skip
    assert unsound == []
    assert checked(details) == expected
    assert 0.05 < sum(expected) / len(details) < 0.95  # both verdicts are exercised
