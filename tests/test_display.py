"""fmt: the one function that formats a number for a person."""
import math

import pytest

from server.engine.display import MINUS, fmt, fmt_operand, fmt_sum, noise_floor


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
    (1234567.3, "1.23457e6"),
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
    (1e16, "1e16"),                 # integers beyond 10^15 take an exponent
    (1e15 + 2, "1e15"),
    (-1e300, "\u22121e300"),
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


# -- issue 12, Display ------------------------------------------------------------
@pytest.mark.parametrize("x, shown", [
    (123456789, "123456789"),       # was 1.23457e8
    (1000000, "1000000"),           # was 1e6
    (-1000000, "\u22121000000"),
    (10 ** 15, "1000000000000000"),  # the last integer written in full
    (999999.9999999999, "1000000"),  # float noise around an integer
    (2.0 ** 40, "1099511627776"),
])
def test_fmt_writes_integers_up_to_10_to_the_15_in_full(x, shown):
    assert fmt(x) == shown


@pytest.mark.parametrize("x, shown", [
    (0.9999999, "0.9999999"),       # both were "1"
    (1.000001, "1.000001"),
    (1.000000001, "1.000000001"),
    (123456.4, "123456.4"),         # "123456" would read as an integer
    (999999.5, "999999.5"),         # was 1e6
    (120000.4, "120000.4"),
    (0.30000001, "0.30000001"),
])
def test_fmt_never_shows_a_rounded_number_as_if_it_were_exact(x, shown):
    assert fmt(x) == shown
    assert float(shown.replace(MINUS, "-")) == pytest.approx(x, rel=1e-10)


def test_fmt_tells_apart_numbers_next_to_a_round_one():
    near = [1 - 1e-7, 1.0, 1 + 1e-6, 1 + 1e-9, 100 - 1e-5, 100.0]
    assert len({fmt(x) for x in near}) == len(near)


def test_fmt_still_drops_float_noise_below_a_ten_billionth():
    assert fmt(1 + 2 ** -52) == "1"
    assert fmt(0.1 + 0.2) == "0.3"
    assert fmt(1 - 1e-13) == "1"


def test_fmt_with_a_floor_shows_noise_as_zero():
    assert fmt(2.220446049250313e-16, floor=noise_floor(1.0, 1.0)) == "0"
    assert fmt(-5.551115123125783e-17, floor=noise_floor(0.3)) == "0"
    assert fmt(1e-10, floor=noise_floor(1.0)) == "1e\u221210"  # above the floor: a real number


def test_noise_floor_is_64_ulp_of_the_largest_magnitude():
    assert noise_floor(1.0, -3.0) == 64 * math.ulp(3.0)
    assert noise_floor(1e300) == 64 * math.ulp(1e300)
    assert noise_floor(math.inf, 2.0) == 64 * math.ulp(2.0)
    assert noise_floor() == 0.0


def _added(texts):
    from decimal import Decimal
    return sum(Decimal(t.replace(MINUS, "-").strip("()")) for t in texts)


def test_a_fan_outs_shown_terms_add_up_to_its_shown_sum():
    t = 0.41997434161402614
    terms, total = fmt_sum([t, t], t + t)
    assert total == "0.839949"          # the sum as it is shown everywhere else
    assert terms == ["0.4199743", "0.4199743"]  # was 0.419974 + 0.419974 = 0.839949
    assert round(_added(terms), 6) == round(_added([total]), 6)


@pytest.mark.parametrize("terms", [
    [1 / 3, 1 / 3], [2.2, 1.1], [0.1, 0.2], [10.0, -10.0], [1 / 7, 2 / 7, 4 / 7], [123456.4, 0.25],
    [1.5e-7, 2.5e-7], [-0.6666666666666666, 0.3333333333333333], [1e20, 3e19],
])
def test_fmt_sum_terms_round_to_the_sum_for_many_cases(terms):
    total = 0.0
    for x in terms:
        total += x
    texts, total_text = fmt_sum(terms, total)
    assert total_text == fmt(total)
    shown = _added([total_text])
    exact = _added(texts)
    quantum = shown.as_tuple().exponent
    assert exact == shown or round(exact, -quantum) == shown
