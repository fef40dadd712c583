"""Time and size of the records beside a bare WeasyPrint render; batch export throughput.

Run from the repository root: python -m bench.pdf [repeat]
Uses a throwaway SQLite database; the export part uses RQ workers (separate
processes, `flask --app wsgi worker --burst`) against the local Redis when one
answers on 127.0.0.1:6379, threads of this process otherwise, and says which.
"""
import io
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from pypdf import PdfReader
from weasyprint import HTML

from blueprints import create_app
from tests.factories import World
from tests.factories_records import busy_case
from workflow.core.evidence import Storage
from workflow.models import Base
from workflow.records.closure import render_closure_report
from workflow.records.render import render_pdf

ROOT = Path(__file__).resolve().parents[1]

BARE_HTML = ('<html lang="zh-CN" style="font-family: \'Noto Sans CJK SC\'">'
             '<p>隐患整改通知书：配电箱未接地，立即整改。</p></html>')
REDIS_URL = "redis://127.0.0.1:6379/0"


def measure(render, repeat):
    render()  # font discovery and CSS parsing happen once per process
    times, out = [], b""
    for _ in range(repeat):
        start = time.perf_counter()
        out = render()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def tiny_pdf() -> bytes:
    return render_pdf("<p>整改报告</p>", identifier="bench", title="整改报告",
                      created=__import__("datetime").datetime(2020, 3, 5))


def redis_up() -> bool:
    try:
        from redis import Redis
        return bool(Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


def export_throughput(app, world, workers, jobs, use_rq):
    """Queue ``jobs`` exports of the department's closed cases; run them on ``workers``."""
    from blueprints.jobs import run_in_app
    from workflow.platform.base import local_today
    from workflow.records.exports import ExportJob, create_export

    session = world.session
    today = local_today().isoformat()
    ids = []
    for _ in range(jobs):
        job = create_export(session, world.users["auditor"],
                            {"department_id": world.dept.id, "from": today, "to": today})
        ids.append(job.id)
    session.commit()
    start = time.perf_counter()
    if use_rq:
        from redis import Redis
        from rq import Queue

        from blueprints.jobs import run_export_job

        queue_name = f"safeloop-bench-{uuid.uuid4().hex[:8]}"
        queue = Queue(queue_name, connection=Redis.from_url(REDIS_URL))
        for job_id in ids:
            queue.enqueue(run_export_job, job_id, job_timeout=3600)
        env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"],
               "STORAGE_DIR": app.config["STORAGE_DIR"], "SECRET_KEY": "bench",
               "REDIS_URL": REDIS_URL, "RQ_QUEUE": queue_name,
               "EXPORT_DIR": str(Path(app.config["STORAGE_DIR"]).parent / "exports")}
        procs = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker",
                                   "--burst"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for _ in range(workers)]
        for proc in procs:
            proc.wait(timeout=1800)
        queue.delete(delete_jobs=True)
    else:
        pending = list(ids)
        lock = threading.Lock()

        def loop():
            while True:
                with lock:
                    if not pending:
                        return
                    job_id = pending.pop(0)
                run_in_app(app, job_id)

        threads = [threading.Thread(target=loop) for _ in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    elapsed = time.perf_counter() - start
    session.expire_all()
    done = [session.get(ExportJob, i) for i in ids]
    session.commit()
    reports = sum(j.done for j in done)
    failed = [j.error for j in done if j.status != "done"]
    return reports, elapsed, failed


def main(repeat=9):
    tmp = Path(tempfile.mkdtemp(prefix="safeloop-bench-"))
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}", "SECRET_KEY": "bench",
                      "STORAGE_DIR": str(tmp / "storage"), "EXPORT_DIR": str(tmp / "exports"),
                      "REDIS_URL": None})
    Base.metadata.create_all(app.extensions["safeloop.engine"])
    session = app.extensions["safeloop.sessionmaker"]()
    world = World(session, app)
    storage = Storage(app.config["STORAGE_DIR"])

    small = world.case_at("in_progress")
    world.evidence(small, data=tiny_pdf(), name="整改报告.pdf")
    world.step(small, "report", "dept_head", statement="已更换全部报警器并联动测试。")
    world.step(small, "verify", "office_staff")
    world.step(small, "close", "office_director")
    big = busy_case(world)

    def pages(pdf):
        return len(PdfReader(io.BytesIO(pdf)).pages)

    bare_s, bare = measure(lambda: HTML(string=BARE_HTML).write_pdf(), repeat)
    small_s, small_pdf = measure(lambda: render_closure_report(session, small, storage=storage),
                                 repeat)
    big_s, big_pdf = measure(lambda: render_closure_report(session, big, storage=storage),
                             max(3, repeat // 3))
    print(f"repeat={repeat}  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(other processes share the CPU: compare ratios within one run)")
    print(f"bare WeasyPrint page          median {bare_s * 1000:8.1f} ms  {len(bare) / 1024:8.1f} KiB")
    print(f"closure report, no photos     median {small_s * 1000:8.1f} ms  "
          f"{len(small_pdf) / 1024:8.1f} KiB  {pages(small_pdf)} page(s), {small.audit_seq} events")
    print(f"closure report, 200 ev/50 ph  median {big_s * 1000:8.1f} ms  "
          f"{len(big_pdf) / 1024:8.1f} KiB  {pages(big_pdf)} pages")
    print(f"ratio small report / bare     time {small_s / bare_s:5.2f}x (goal <= 3x)  "
          f"size {len(small_pdf) / 1024:.0f} KiB (goal < 200 KB)")

    for _ in range(11):  # closed cases to export besides `small` and `big`
        world.case_at("closed")
    use_rq = redis_up()
    how = ("RQ workers (separate processes, local Redis)" if use_rq
           else "threads in this process (no Redis on 127.0.0.1:6379)")
    print(f"batch export via {how}:")
    for workers in (1, 2):
        reports, elapsed, failed = export_throughput(app, world, workers, jobs=4, use_rq=use_rq)
        note = f"  FAILED: {failed}" if failed else ""
        print(f"  {workers} worker(s): {reports} reports in {elapsed:6.1f} s = "
              f"{reports / elapsed:5.2f} reports/s (incl. worker start-up){note}")
    session.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 9)
