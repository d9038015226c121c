"""safe_folder_name: the spec's rule for turning a computer name into a Windows folder name."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.folder_names import UNKNOWN_FOLDER, safe_folder_name


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("EIGYO-PC", "EIGYO-PC"),
        ("営業部-PC01", "営業部-PC01"),
        ("a.b c", "a.b c"),  # dots and spaces inside are fine
        ("a..b  c", "a..b  c"),
    ],
)
def test_ordinary_names_are_kept(raw: str, safe: str) -> None:
    assert safe_folder_name(raw) == safe


@pytest.mark.parametrize("char", list('\\/:*?"<>|'))
def test_each_forbidden_character_becomes_one_underscore(char: str) -> None:
    assert safe_folder_name(f"PC{char}01") == "PC_01"
    assert safe_folder_name(f"{char}{char}") == "__"


@pytest.mark.parametrize("code", [*range(0x00, 0x20), *range(0x7F, 0xA0)])
def test_each_control_character_becomes_one_underscore(code: int) -> None:
    assert safe_folder_name(f"PC{chr(code)}01") == "PC_01"


@pytest.mark.parametrize("code", [0x20, 0x7E, 0xA0, 0xAD, 0x3000])
def test_characters_outside_the_rule_are_kept(code: int) -> None:
    # "Every control character" is Unicode's category Cc (C0, DEL, C1), nothing more.
    name = f"PC{chr(code)}01"
    assert safe_folder_name(name) == name


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        (" trailing.", "_trailing_"),
        ("..x..", "__x__"),
        ("  two spaces  ", "__two spaces__"),
        (". .x. .", "___x___"),
        ("...", "___"),
        (" ", "_"),
        (".hidden", "_hidden"),
        ("PC.", "PC_"),
        ("\u3000PC\u3000", "\u3000PC\u3000"),  # ideographic space is not a space here
    ],
)
def test_each_leading_and_trailing_dot_or_space_becomes_one_underscore(raw: str, safe: str) -> None:
    assert safe_folder_name(raw) == safe


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("", "_"),
        # Replacement runs first: "." -> "_" (not "_." which Windows would cut to "_").
        (".", "_"),
        ("..", "__"),
    ],
)
def test_empty_and_dot_names(raw: str, safe: str) -> None:
    assert safe_folder_name(raw) == safe


@pytest.mark.parametrize(
    "name",
    [
        "CON",
        "con",
        "Con",
        "PRN",
        "AUX",
        "NUL",
        "nul",
        "COM1",
        "com9",
        "LPT1",
        "lpt9",
        "con.txt",
        "Com1.log",
        "NUL.tar.gz",
    ],
)
def test_reserved_device_names_get_an_underscore_prefix(name: str) -> None:
    assert safe_folder_name(name) == "_" + name


@pytest.mark.parametrize(
    "name",
    ["CON .txt", "nul  .log", "COM¹", "lpt³.txt"],
)
def test_names_windows_also_maps_to_devices_are_prefixed(name: str) -> None:
    assert safe_folder_name(name) == "_" + name


@pytest.mark.parametrize(
    "name",
    ["COM0", "LPT0", "COM10", "LPT", "COM", "CONSOLE", "NULL", "xCON", "CON-PC", "_CON", "AUXPC.1"],
)
def test_names_that_only_look_reserved_are_kept(name: str) -> None:
    assert safe_folder_name(name) == name


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        # The reserved check looks at the replaced name, which is what Windows will see.
        ("CON.", "CON_"),
        (" CON", "_CON"),
        ("CON:", "CON_"),
        ("CO|N", "CO_N"),
        # ... and a replaced name can still be reserved.
        ("con.tx?", "_con.tx_"),
        ("com1.\x01", "_com1._"),
    ],
)
def test_reserved_check_runs_after_replacement(raw: str, safe: str) -> None:
    assert safe_folder_name(raw) == safe


def test_unreadable_header_goes_to_unknown() -> None:
    assert safe_folder_name(None) == UNKNOWN_FOLDER == "_unknown"


def test_lone_surrogates_become_underscores() -> None:
    raw = b"PC\xff01".decode("utf-8", errors="surrogateescape")
    assert safe_folder_name(raw) == "PC_01"
    safe_folder_name(raw).encode("utf-8")


_DEVICE_STEM = re.compile(r"(CON|PRN|AUX|NUL|COM[1-9¹²³]|LPT[1-9¹²³])", re.IGNORECASE)


@given(st.text(max_size=20) | st.sampled_from(["CON", "nul.txt", " . ", "lpt1.", "Com¹ .x"]))
def test_result_is_always_windows_safe_and_stable(raw: str) -> None:
    safe = safe_folder_name(raw)
    assert safe
    assert not re.search(r'[\\/:*?"<>|\x00-\x1f\x7f-\x9f\ud800-\udfff]', safe)
    assert safe[0] not in ". " and safe[-1] not in ". "
    assert not _DEVICE_STEM.fullmatch(safe.split(".", 1)[0].rstrip(" "))
    # One character in, one character out; at most one "_" in front.
    assert len(safe) in (len(raw), len(raw) + 1)
    assert safe_folder_name(safe) == safe
