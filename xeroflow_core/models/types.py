"""Column types for money and exact decimals.

Amounts are Decimal in Python. PostgreSQL stores them as NUMERIC. SQLite has no exact decimal
type (NUMERIC affinity becomes a float), so there they are stored as scaled integers: exact,
and SUM() in SQL stays exact too. Either way the value read back is a Decimal.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import BigInteger, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class ExactDecimal(TypeDecorator):
    """A Decimal with a fixed number of places, exact on SQLite and PostgreSQL."""

    impl = Numeric
    cache_ok = True

    def __init__(self, scale: int = 4, precision: int = 19) -> None:
        super().__init__()
        self.scale = scale
        self.precision = precision
        self._factor = Decimal(10) ** scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value, dialect: Dialect):  # noqa: ANN001, ANN201
        if value is None:
            return None
        if not isinstance(value, Decimal):
            if isinstance(value, float):
                raise TypeError(f"refusing float {value!r} for an exact decimal column")
            value = Decimal(value)
        scaled = value * self._factor
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        if dialect.name == "sqlite":
            return int(scaled)
        return value

    def process_result_value(self, value, dialect: Dialect):  # noqa: ANN001, ANN201
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / self._factor).quantize(Decimal(1).scaleb(-self.scale))
        return Decimal(value).quantize(Decimal(1).scaleb(-self.scale))

    def __repr__(self) -> str:  # Alembic renders migrations from this
        return f"ExactDecimal(scale={self.scale}, precision={self.precision})"

    @property
    def python_type(self) -> type:
        return Decimal


def Money() -> ExactDecimal:  # noqa: N802 - reads like a type in column definitions
    """Amounts: 4 places covers Xero's unit amounts (unitdp=4) and every 2-place total."""
    return ExactDecimal(scale=4)


def Rate() -> ExactDecimal:  # noqa: N802
    """Currency rates and tax percentages: Xero quotes rates to 6-10 places."""
    return ExactDecimal(scale=10)
