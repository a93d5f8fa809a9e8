"""fmt: the one function that formats a number for a person."""
import math

import pytest

from server.engine.display import MINUS, fmt, fmt_operand


def test_minus_is_the_typographic_minus_sign():
    assert MINUS == "\u2212"


@pytest.mark.parametrize("x, shown", [
    (220.00000000000003, "220"),     # the doughnut total: float noise never shows
    (110.00000000000001, "110"),
    (0.1 + 0.2, "0.3"),
    (2.2, "2.2"),
    (200.0, "200"),
    (100, "100"),                   # ints are numbers too
    (1.1, "1.1"),
    (0.5, "0.5"),
])
def test_fmt_drops_float_noise_and_trailing_zeros(x, shown):
    assert fmt(x) == shown


@pytest.mark.parametrize("x, shown", [
    (12345.678, "12345.7"),
    (123456.4, "123456"),
    (3.14159265358979, "3.14159"),
    (2 / 3, "0.666667"),
])
def test_fmt_keeps_at_most_six_significant_digits(x, shown):
    assert fmt(x) == shown


def test_fmt_shows_nan_as_NaN():
    assert fmt(math.nan) == "NaN"


def test_fmt_shows_infinity_as_the_infinity_sign():
    assert fmt(math.inf) == "∞"


def test_fmt_shows_negative_infinity_with_the_typographic_minus():
    assert fmt(-math.inf) == "\u2212∞"
    assert "-" not in fmt(-math.inf)


@pytest.mark.parametrize("x, shown", [
    (-2.5, "\u22122.5"),
    (-1, "\u22121"),
    (-220.00000000000003, "\u2212220"),
    (-0.000123456789, "\u22120.000123457"),
])
def test_fmt_writes_negative_numbers_with_the_typographic_minus(x, shown):
    assert fmt(x) == shown
    assert "-" not in fmt(x)


def test_fmt_shows_negative_zero_as_plain_zero():
    assert fmt(-0.0) == "0"
    assert fmt(0.0) == "0"


@pytest.mark.parametrize("x, shown", [
    (1.5e-7, "1.5e\u22127"),
    (-1.5e-7, "\u22121.5e\u22127"),
    (1e-5, "1e\u22125"),
    (0.0001, "0.0001"),             # still positional at 1e-4
    (5e-324, "4.94066e\u2212324"),  # the smallest subnormal
])
def test_fmt_writes_small_numbers_with_a_short_exponent(x, shown):
    assert fmt(x) == shown


@pytest.mark.parametrize("x, shown", [
    (123456789, "1.23457e8"),
    (1e16, "1e16"),
    (-1e300, "\u22121e300"),
    (999999.5, "1e6"),              # rounding to 6 digits carries into the exponent
    (1.7976931348623157e308, "1.79769e308"),
])
def test_fmt_writes_large_numbers_with_an_exponent_without_plus_or_leading_zeros(x, shown):
    assert fmt(x) == shown
    assert "+" not in fmt(x)


def test_fmt_of_none_is_empty():
    assert fmt(None) == ""


def test_fmt_operand_parenthesises_negative_numbers_only():
    assert fmt_operand(-3) == "(\u22123)"
    assert fmt_operand(-math.inf) == "(\u2212∞)"
    assert fmt_operand(3) == "3"
    assert fmt_operand(1.5e-7) == "1.5e\u22127"
