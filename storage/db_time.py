"""The database's own time, written into statements: the one clock processes share.

Heartbeats, leases, takeovers and "due now" are compared across processes; a process whose
clock drifted (a VM, an operator, a fake clock) must not see its peers as dead or its rows
as late. So those times are written and compared as ``db_now()`` inside the statement, never
bound from a process's clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from storage.types import UTCDateTime


class db_now(FunctionElement[datetime]):  # noqa: N801 (an SQL function, named as one)
    """The database's current time plus ``seconds`` (a number or a numeric expression)."""

    type = UTCDateTime()
    inherit_cache = True
    name = "db_now"

    def __init__(self, seconds: float | ColumnElement[Any] = 0.0) -> None:
        offset = seconds if isinstance(seconds, ColumnElement) else literal(float(seconds), Float)
        super().__init__(offset)


def _offset(element: db_now, compiler: SQLCompiler, **kw: Any) -> str:
    (seconds,) = element.clauses
    return str(compiler.process(seconds, **kw))


@compiles(db_now, "postgresql")
def _postgresql(element: db_now, compiler: SQLCompiler, **kw: Any) -> str:
    # clock_timestamp(): the time now, not when the transaction began.
    offset = _offset(element, compiler, **kw)
    return f"(clock_timestamp() + make_interval(secs => CAST({offset} AS DOUBLE PRECISION)))"


@compiles(db_now, "sqlite")
def _sqlite(element: db_now, compiler: SQLCompiler, **kw: Any) -> str:
    # Written as SQLAlchemy writes datetimes to SQLite (text, to the microsecond), so that
    # they compare as text with the values it binds.
    offset = _offset(element, compiler, **kw)
    return f"(strftime('%Y-%m-%d %H:%M:%f', 'now', printf('%+.3f seconds', {offset})) || '000')"


class shifted(FunctionElement[datetime]):  # noqa: N801 (an SQL function, named as one)
    """A stored time moved by ``seconds`` (a number)."""

    type = UTCDateTime()
    inherit_cache = True
    name = "shifted"

    def __init__(self, time: Any, seconds: float) -> None:
        super().__init__(time, literal(float(seconds), Float))


@compiles(shifted, "postgresql")
def _shifted_postgresql(element: shifted, compiler: SQLCompiler, **kw: Any) -> str:
    time, seconds = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({time} + make_interval(secs => CAST({seconds} AS DOUBLE PRECISION)))"


@compiles(shifted, "sqlite")
def _shifted_sqlite(element: shifted, compiler: SQLCompiler, **kw: Any) -> str:
    time, seconds = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(strftime('%Y-%m-%d %H:%M:%f', {time}, printf('%+.3f seconds', {seconds})) || '000')"
