"""Record times: the fast Arrow cast gives exactly what Polars' chrono `strptime` gives."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.records import _TIME_FORMAT, _times


def _chrono(texts: list[str]) -> list[int | None]:
    """The reference: the record time format parsed by chrono, value by value."""
    series = pl.Series(texts, dtype=pl.String)
    shaped = pl.select(
        pl.when(series.str.contains(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$"))
        .then(series)
        .str.strptime(pl.Datetime("ms", "UTC"), _TIME_FORMAT, strict=False, cache=False)
    ).to_series()
    return shaped.dt.epoch("ms").to_list()


def _fast(texts: list[str]) -> list[int | None]:
    got = _times(pl.Series(texts, dtype=pl.String))
    assert got.dtype == pl.Datetime("ms", "UTC")
    return got.dt.epoch("ms").to_list()


EDGES = [
    "2024-03-18T05:00:00.123+09:00",
    "2024-02-29T00:00:00.000+09:00",
    "2023-02-29T00:00:00.000+09:00",
    "2024-02-30T00:00:00.000+09:00",
    "2024-04-31T00:00:00.000+09:00",
    "2024-00-10T00:00:00.000+09:00",
    "2024-13-10T00:00:00.000+09:00",
    "2024-01-00T00:00:00.000+09:00",
    "2024-01-10T24:00:00.000+09:00",
    "2024-01-10T23:60:00.000+09:00",
    "2024-01-10T23:59:60.000+09:00",  # a leap second: chrono takes it, Arrow does not
    "2024-01-10T23:59:59.999+24:00",
    "2024-01-10T23:59:59.999+09:60",
    "2024-01-10T23:59:59.999-00:00",
    "0000-01-01T00:00:00.000+00:00",
    "9999-12-31T23:59:59.999-23:00",
    "1969-12-31T23:59:59.999+00:00",
    "2024-03-18 05:00:00.123+09:00",
    "2024-03-18T05:00:00.123Z",
    "2024-03-18T05:00:00+09:00",
    "2024-03-18T05:00:00.1234+09:00",
    "",
]


def test_each_edge_alone_is_typed_as_chrono_types_it():
    for text in EDGES:
        assert _fast([text]) == _chrono([text]), text


def test_a_share_of_good_times_is_typed_as_chrono_types_it():
    good = [t for t in EDGES if _chrono([t]) != [None] and ":60." not in t]
    assert len(good) >= 6
    assert _fast(good) == _chrono(good)


def test_one_impossible_time_leaves_the_rest_of_the_share_typed():
    texts = ["2024-03-18T05:00:00.123+09:00", "2024-02-30T00:00:00.000+09:00", "garbage"]
    assert _fast(texts) == _chrono(texts)
    assert _fast(texts)[0] == 1710705600123 and _fast(texts)[1:] == [None, None]


@st.composite
def shaped_times(draw: st.DrawFn) -> str:
    """Texts of the record time's exact shape, digits anywhere in range or out of it."""

    def digits(n: int, likely: list[str]) -> str:
        return draw(st.sampled_from(likely) | st.text("0123456789", min_size=n, max_size=n))

    return (
        f"{digits(4, ['2024', '2023', '1970'])}-{digits(2, ['01', '02', '12'])}"
        f"-{digits(2, ['01', '28', '29', '30', '31'])}T{digits(2, ['00', '23', '24'])}"
        f":{digits(2, ['00', '59', '60'])}:{digits(2, ['00', '59', '60'])}.{digits(3, ['000'])}"
        f"{draw(st.sampled_from('+-'))}{digits(2, ['00', '09', '14', '23', '24'])}"
        f":{digits(2, ['00', '30', '59', '60'])}"
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(shaped_times(), min_size=1, max_size=20))
def test_any_share_of_shaped_texts_is_typed_as_chrono_types_it(texts):
    assert _fast(texts) == _chrono(texts)
