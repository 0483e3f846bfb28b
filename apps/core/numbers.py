"""Rounding as METRICS.md asks for it: halves away from zero, once, at display time."""

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction


def round_half_away(value, places: int = 0):
    """Round an exact or float number to `places` decimals, halves away from zero
    (12.5 -> 13, -12.5 -> -13, 6.25 -> 6.3 at one place). None stays None. Returns an int when
    `places` is 0, else a float."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        with localcontext() as context:
            context.prec = 40
            exact = Decimal(value.numerator) / Decimal(value.denominator)
    else:
        exact = Decimal(str(value))
    rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return int(rounded) if places == 0 else float(rounded)
