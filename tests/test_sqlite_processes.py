"""Several processes on one SQLite file (as gunicorn workers): no lost race, no 'locked'."""
from __future__ import annotations

import multiprocessing

from sqlalchemy import func, select

from workflow.core.audit import AuditEvent


def _worker(url: str, case_ids: list[int], user_id: int, versions: dict, queue) -> None:
    import workflow.models  # noqa: F401
    from workflow.core import service
    from workflow.org.models import User
    from workflow.platform.db import make_engine, make_sessionmaker
    from workflow.platform.errors import Conflict

    maker = make_sessionmaker(make_engine(url))
    outcome = {"ok": 0, "conflict": 0, "other": []}
    for case_id in case_ids:
        session = maker()
        try:
            actor = session.get(User, user_id)
            service.transition(session, case_id, "verify", actor, version=versions[case_id])
            session.commit()
            outcome["ok"] += 1
        except Conflict:
            session.rollback()
            outcome["conflict"] += 1
        except Exception as exc:  # reported to the parent, which fails the test
            session.rollback()
            outcome["other"].append(repr(exc))
        finally:
            session.close()
    queue.put(outcome)


def test_four_processes_verify_the_same_cases(tmp_path):
    """Always on a SQLite file of its own, whichever database the rest of the suite uses."""
    from blueprints import create_app
    from tests.factories import World
    from workflow.models import Base

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "t",
                      "STORAGE_DIR": str(tmp_path / "files")})
    Base.metadata.create_all(app.extensions["safeloop.engine"])
    session = app.extensions["safeloop.sessionmaker"]()
    world = World(session, app)
    cases = [world.case_at("reported") for _ in range(12)]
    versions = {c.id: c.version for c in cases}
    session.rollback()  # hold no lock while the workers run
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(url, list(versions), world.users["office_staff"].id,
                                               versions, queue)) for _ in range(4)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    assert [r["other"] for r in results] == [[], [], [], []]
    assert sum(r["ok"] for r in results) == 12
    assert sum(r["conflict"] for r in results) == 36
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "verify")) == 12
    session.close()
