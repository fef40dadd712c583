"""督办措施: issuing letters one after another and from 20 threads at once (文号 taken in the
transaction), and rendering each paper.

Run from the repository root: python -m bench.measures [--pg URL]
"""
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from blueprints import create_app
from tests.factories import World
from workflow.measures import acts, papers
from workflow.models import Base


def app_for(url: str | None):
    tmp = Path(tempfile.mkdtemp(prefix="safeloop-bench-"))
    app = create_app({"DATABASE_URL": url or f"sqlite:///{tmp / 'bench.db'}", "SECRET_KEY": "bench",
                      "STORAGE_DIR": str(tmp / "storage"), "REDIS_URL": None})
    engine = app.extensions["safeloop.engine"]
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    return app


def main():
    url = sys.argv[sys.argv.index("--pg") + 1] if "--pg" in sys.argv else None
    app = app_for(url)
    maker = app.extensions["safeloop.sessionmaker"]
    session = maker()
    world = World(session, app)
    case = world.case_at("in_progress")
    staff_id, case_id = world.users["office_staff"].id, case.id
    session.commit()

    n = int(sys.argv[sys.argv.index("--n") + 1]) if "--n" in sys.argv else 200
    t0 = time.perf_counter()
    for i in range(n):
        acts.create(session, session.get(type(world.users["office_staff"]), staff_id),
                    {"kind": "letter", "case_ids": [case_id], "content": f"督办{i}"})
        session.commit()
    serial = (time.perf_counter() - t0) / n * 1000
    print(f"{'PostgreSQL' if url else 'SQLite'}: issue a 督办函 naming one case: {serial:.1f} ms each ({n} in a row)")

    threads, per_thread = 20, 10
    barrier = threading.Barrier(threads)

    def worker():
        s = maker()
        user = s.get(type(world.users["office_staff"]), staff_id)
        s.commit()  # end the read: on SQLite it holds the write lock
        barrier.wait()
        for i in range(per_thread):
            acts.create(s, user, {"kind": "letter", "case_ids": [case_id], "content": "并发督办"})
            s.commit()
        s.close()

    t0 = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - t0
    total = threads * per_thread
    print(f"  {threads} threads × {per_thread}: {total / wall:.0f} letters/s ({wall:.2f} s), "
          f"serial {1000 / serial:.0f} letters/s")

    director = world.users["office_director"]
    interview = acts.create(session, director, {
        "kind": "interview", "case_ids": [case_id], "content": "约谈", "interviewee_name": "赵六",
        "interviewee_post": "副局长", "interviewer": "李主任", "place": "302",
        "scheduled_at": (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%dT09:00")})
    acts.add_step(session, interview.id, world.users["office_staff"], "minutes",
                  {"attendees": "李主任、赵六", "content": "谈话", "commitments": "整改"})
    session.commit()
    letter = acts.list_measures(session, director, kind="letter")[0]
    for measure, paper in ((letter, "letter"), (interview, "notice"), (interview, "minutes")):
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            pdf, _ = papers.render_paper(session, measure, paper)
            times.append(time.perf_counter() - t0)
        print(f"  {papers.PAPERS[paper][2]}: median {statistics.median(times) * 1000:.0f} ms, "
              f"{len(pdf) // 1024} KB")
    session.close()


if __name__ == "__main__":
    main()
