"""Time and size of the records beside bare WeasyPrint renders; batch export throughput.

Run from the repository root: python -m bench.pdf [repeat] [--no-export]

Goal (per record): the closure report of a case without photos renders in at most 3x the CPU
time of a bare WeasyPrint render, and weighs at most 200 KB. Two bare renders are measured,
interleaved with the report in the same loop so that load from other processes falls on all
of them alike:

- "one-line page": one Chinese sentence in Noto Sans CJK SC, ``HTML(string=...).write_pdf()``
  with every WeasyPrint default; the reference this bench has always printed.
- "same page": the very HTML of the report (same content, same fonts, same print.css) through
  the same bare call, ``HTML(string=html).write_pdf(stylesheets=[CSS(filename=print.css)])``.
  The report adds what we do around WeasyPrint (database reads, template, QR code, metadata).

Times are CPU seconds of this process (time.process_time), medians; wall medians beside them.
Each render starts after a full garbage collection (untimed), so none pays for another's garbage.
Uses a throwaway SQLite database; the export part uses RQ workers (separate
processes, `flask --app wsgi worker --burst`) against the local Redis when one
answers on 127.0.0.1:6379, threads of this process otherwise, and says which.
"""
import io
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from pypdf import PdfReader
from weasyprint import CSS, HTML

from bench.pdf_bare import BARE_HTML, GOAL_RATIO, load, measure, verdict
from blueprints import create_app
from tests.factories import World
from tests.factories_records import busy_case
from workflow.core.evidence import Storage
from workflow.models import Base
from workflow.records.closure import closure_html, render_closure_report
from workflow.records.render import PRINT_CSS_PATH, render_pdf
from workflow.records.render_cache import RenderCache

ROOT = Path(__file__).resolve().parents[1]

REDIS_URL = "redis://127.0.0.1:6379/0"


GOAL_BYTES = 200_000


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


def main(repeat=9, export=True):
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
    busy = busy_case(world)

    def pages(pdf):
        return len(PdfReader(io.BytesIO(pdf)).pages)

    html = closure_html(session, small, storage=storage)[0]
    print(f"repeat={repeat}  {load()}")
    kept = RenderCache(tmp / "record-cache", 64 << 20)
    render_closure_report(session, small, storage=storage, cache=kept)  # rendered once, kept
    timed = measure({
        "bare": lambda: HTML(string=BARE_HTML).write_pdf(),
        "same": lambda: HTML(string=html).write_pdf(stylesheets=[CSS(filename=PRINT_CSS_PATH)]),
        "small": lambda: render_closure_report(session, small, storage=storage),
        "kept": lambda: render_closure_report(session, small, storage=storage, cache=kept),
    }, repeat)
    if timed["kept"].out != timed["small"].out:
        raise SystemExit("the record read back from the cache differs from a fresh render")
    big = measure({"big": lambda: render_closure_report(session, busy, storage=storage)},
                  max(3, repeat // 3))["big"]
    rows = [("bare WeasyPrint, one-line page", timed["bare"], ""),
            ("bare WeasyPrint, same page", timed["same"], ""),
            ("closure report, no photos", timed["small"], f"{small.audit_seq} events"),
            ("same report, read back (cache)", timed["kept"], "RECORD_CACHE_MB, same bytes"),
            ("closure report, 200 ev/50 ph", big, "")]
    print(f"{'':32s} {'CPU ms':>8s} {'wall ms':>8s} {'KB':>7s} pages")
    for label, t, note in rows:
        print(f"{label:32s} {t.cpu_s * 1000:8.1f} {t.wall_s * 1000:8.1f} {len(t.out) / 1000:7.1f} "
              f"{pages(t.out):5d}  {note}")
    report = timed["small"]
    print(f"goal: closure report (no photos) <= {GOAL_RATIO:g}x a bare WeasyPrint render, CPU time")
    for label, key in (("one-line page", "bare"), ("same page", "same")):
        ratio = report.cpu_s / timed[key].cpu_s
        print(f"  vs bare {label:14s} {ratio:5.2f}x  {verdict(ratio <= GOAL_RATIO)}  "
              f"(wall {report.wall_s / timed[key].wall_s:.2f}x)")
    print(f"  a report asked for again, read back from the record cache: "
          f"{timed['kept'].cpu_s / timed['bare'].cpu_s:.2f}x the one-line page "
          f"({timed['kept'].cpu_s / report.cpu_s:.2f}x its own render)")
    size = len(report.out)
    print(f"goal: closure report (no photos) <= {GOAL_BYTES // 1000} KB: {size / 1000:.1f} KB  "
          f"{verdict(size <= GOAL_BYTES)}")
    print(f"after the renders: {load()}")
    if not export:
        session.close()
        return

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
    args = [a for a in sys.argv[1:] if a != "--no-export"]
    main(int(args[0]) if args else 9, export="--no-export" not in sys.argv[1:])
