"""APA-style number formatting shared by every table and sentence of the manuscript.

APA 7: no leading zero for statistics that cannot exceed 1 (correlations, standardized
coefficients, p-values, reliabilities), p reported exactly to three decimals or as
"< .001", confidence intervals in brackets, and a true minus sign for negative values.
"""

import math

MINUS = "\u2212"


def number(value: float, digits: int = 2, bounded: bool = False) -> str:
    """`value` rounded to `digits`; without the leading zero when `bounded` by 1 in size.

    >>> number(0.4567, bounded=True), number(-0.4567, 3), number(12.0, 1)
    ('.46', '−0.457', '12.0')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{abs(value):.{digits}f}"
    if bounded and text.startswith("0."):
        text = text[1:]
    negative = round(value, digits) < 0
    return (MINUS if negative else "") + text


def pvalue(p: float) -> str:
    """p to three decimals without leading zero, or '< .001'.

    >>> pvalue(0.0004), pvalue(0.0234), pvalue(0.5)
    ('< .001', '.023', '.500')
    """
    if p < 0.001:
        return "< .001"
    return number(p, 3, bounded=True)


def interval(lower: float, upper: float, digits: int = 2, bounded: bool = False) -> str:
    """A confidence interval in brackets.

    >>> interval(0.123, 0.456, bounded=True)
    '[.12, .46]'
    """
    return f"[{number(lower, digits, bounded)}, {number(upper, digits, bounded)}]"


def count(n: int) -> str:
    """An integer with a thin-space-free comma thousands separator, as APA prints counts.

    >>> count(143000)
    '143,000'
    """
    return f"{int(n):,}"
