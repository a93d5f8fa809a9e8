"""What text may enter a graph, and JSON read so that no input can crash the reader.

Every label, title and id passes ``text_problem`` wherever it comes from (HTTP,
the socket, an imported file, a formula, the command line): the pydantic models
in document.py and the set_label/set_title edits call it. Refused are lone
surrogates (which no UTF-8 file can hold), Unicode non-characters such as
U+FFFF (which XML forbids), and control characters other than a newline in
labels and titles (none at all in ids).
"""
from __future__ import annotations

import json
import re

# C0 and C1 controls (tab included: it draws as nothing), surrogates, non-characters.
_CONTROL = "\x00-\x09\x0b-\x1f\x7f-\x9f"
_BAD = re.compile(f"[{_CONTROL}\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]|[\U0001fffe-\U0010ffff]")
_BAD_ID = re.compile(f"[\n{_CONTROL}\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]|[\U0001fffe-\U0010ffff]")
MAX_INT_DIGITS = 300  # longer integers are read as floats (∞), which every number check refuses


def _is_noncharacter_plane_end(ch: str) -> bool:
    return (ord(ch) & 0xFFFE) == 0xFFFE


def text_problem(text: str, what: str = "text", newline: bool = True) -> str | None:
    """Why ``text`` may not be a label or title (``newline=False``: an id), or None."""
    pattern = _BAD if newline else _BAD_ID
    for m in pattern.finditer(text):
        ch = m.group()
        if len(ch) == 1 and ord(ch) >= 0x10000 and not _is_noncharacter_plane_end(ch):
            continue  # the class above is a coarse range: only U+xFFFE/U+xFFFF are non-characters there
        return f"{what} holds the character U+{ord(ch):04X} at position {m.start()}, which text may not hold " \
               f"({_kind(ch)})"
    return None


def _kind(ch: str) -> str:
    o = ord(ch)
    if 0xD800 <= o <= 0xDFFF:
        return "a lone surrogate"
    if o < 0x20 or 0x7F <= o <= 0x9F:
        return "a control character" if ch != "\n" else "a line break"
    return "a Unicode non-character"


def _parse_int(digits: str):
    # Python refuses to read integers of more than 4,300 digits (a denial-of-service guard)
    # and raises; a number that long is never a port or a value, so read it as a float,
    # which every check then refuses as not finite.
    return int(digits) if len(digits) <= MAX_INT_DIGITS else float("inf") if digits[0] != "-" else float("-inf")


def loads_json(text: str | bytes):
    """json.loads that refuses, as a ValueError, what would otherwise crash it: deep nesting
    and integers too long to read."""
    try:
        return json.loads(text, parse_int=_parse_int)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None


def printable(text: str, newline: bool = True) -> str:
    """``text`` without the characters it may not hold (for writers of files, whatever reaches them)."""
    pattern = _BAD if newline else _BAD_ID
    return pattern.sub(lambda m: m.group() if len(m.group()) == 1 and ord(m.group()) >= 0x10000
                       and not _is_noncharacter_plane_end(m.group()) else "", text)
