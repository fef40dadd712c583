"""Case numbers ``{region}-{year}-{source code}-{seq}``, e.g. ``WJ-2020-XC-0007``."""
from __future__ import annotations

from sqlalchemy import Integer, String, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from workflow.platform.base import Base
from workflow.platform.vocab import SOURCES


class NumberCounter(Base):
    __tablename__ = "number_counters"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


def next_seq(session: Session, key: str, count: int = 1) -> int:
    """Atomically take the next ``count`` sequence numbers for ``key`` (race-safe upsert);
    returns the last one taken."""
    stmt = _UPSERTS[session.get_bind().dialect.name]
    return session.execute(stmt, {"key": key, "count": count}).scalar_one()


def _upsert(insert):
    stmt = insert(NumberCounter).values(key=bindparam("key"), last=bindparam("count"))
    stmt = stmt.on_conflict_do_update(index_elements=["key"],
                                      set_={"last": NumberCounter.last + bindparam("count")})
    return stmt.returning(NumberCounter.last)


# prepared once per dialect (the statement's cache key and compiled form are reused)
_UPSERTS = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}


def case_number(session: Session, region: str, year: int, source: str) -> str:
    return case_numbers(session, region, year, source, 1)[0]


def case_numbers(session: Session, region: str, year: int, source: str, count: int) -> list[str]:
    """``count`` consecutive case numbers taken in one statement (a bulk import's block)."""
    if count <= 0:
        return []
    code = SOURCES[source][1]
    prefix = f"{region}-{year}-{code}"
    last = next_seq(session, prefix, count)
    return [f"{prefix}-{n:04d}" for n in range(last - count + 1, last + 1)]
