"""Case numbers ``{region}-{year}-{source code}-{seq}``, e.g. ``WJ-2020-XC-0007``."""
from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from workflow.platform.base import Base
from workflow.platform.vocab import SOURCES


class NumberCounter(Base):
    __tablename__ = "number_counters"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


def next_seq(session: Session, key: str) -> int:
    """Atomically take the next sequence number for ``key`` (race-safe upsert)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(NumberCounter).values(key=key, last=1)
    stmt = stmt.on_conflict_do_update(index_elements=["key"],
                                      set_={"last": NumberCounter.last + 1})
    return session.execute(stmt.returning(NumberCounter.last)).scalar_one()


def case_number(session: Session, region: str, year: int, source: str) -> str:
    code = SOURCES[source][1]
    prefix = f"{region}-{year}-{code}"
    return f"{prefix}-{next_seq(session, prefix):04d}"
