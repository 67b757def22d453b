"""Kubernetes resource quantities ("250m", "0.5", "512Mi", "1G", "1e3") as integers.

CPU becomes millicores and memory bytes, both rounded up as the API server does, so the
scheduler compares exact integers and never accumulates float error.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

_QUANTITY = re.compile(r"^(?P<number>[+-]?(?:\d+\.?\d*|\.\d+))(?P<suffix>[eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?$")
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}


class QuantityError(ValueError):
    """A value that is not a Kubernetes quantity; the message quotes it."""


def parse_quantity(value: object) -> Decimal:
    """The exact value of a quantity given as a string or a YAML number; negative values are refused."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise QuantityError(f"{value!r} is not a quantity")
    text = str(value).strip()
    match = _QUANTITY.match(text)
    if match is None:
        raise QuantityError(f"{text!r} is not a quantity (examples: 250m, 0.5, 512Mi, 1G)")
    try:
        number = Decimal(match["number"])
    except InvalidOperation:
        raise QuantityError(f"{text!r} is not a quantity") from None
    suffix = match["suffix"] or ""
    if suffix in _BINARY:
        amount = number * _BINARY[suffix]
    elif suffix in _DECIMAL:
        amount = number * _DECIMAL[suffix]
    else:  # an exponent such as e3
        amount = number * Decimal(10) ** int(suffix[1:])
    if amount < 0:
        raise QuantityError(f"{text!r} is negative")
    return amount


def cpu_millis(value: object) -> int:
    """CPU in millicores: "250m" -> 250, "1" -> 1000, "0.5" -> 500."""
    return math.ceil(parse_quantity(value) * 1000)


def memory_bytes(value: object) -> int:
    """Memory or storage in bytes: "512Mi" -> 536870912, "1G" -> 10**9."""
    return math.ceil(parse_quantity(value))


def format_cpu(millis: int) -> str:
    """Millicores the way kubectl prints them."""
    return f"{millis // 1000}" if millis % 1000 == 0 else f"{millis}m"


def format_memory(size: int) -> str:
    """Bytes in the largest binary unit that divides them exactly."""
    for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
        if size and size % _BINARY[suffix] == 0:
            return f"{size // _BINARY[suffix]}{suffix}"
    return str(size)
