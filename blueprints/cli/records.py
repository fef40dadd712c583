"""``flask --app wsgi records verify FILE.pdf`` and ``flask --app wsgi worker``."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app

from blueprints.extensions import db
from workflow.records.stamp import UnreadableRecord
from workflow.records.verify import verify_record


def register(app) -> None:
    @app.cli.group("records")
    def records():
        """Printed records (PDF)."""

    @records.command("verify")
    @click.argument("pdf_file", type=click.Path(dir_okay=False))
    def records_verify(pdf_file):
        """Check a record PDF against the audit chain: exit 0 match, 1 mismatch, 2 unreadable."""
        try:
            data = Path(pdf_file).read_bytes()
            report = verify_record(db.session, data)
        except (OSError, UnreadableRecord) as exc:
            click.echo(f"无法读取：{pdf_file}：{exc}", err=True)
            sys.exit(2)
        for check in report.checks:
            s = check.stamp
            click.echo(f"{s.number}：记录印制于审计链第 {s.seq} 个事件，哈希 {s.head}")
            c = check.to_dict()
            click.echo(f"  {c['message']}")
            if check.detail:
                click.echo(f"  {check.detail}")
            if check.current_head and not check.ok:
                click.echo(f"  系统当前：第 {check.current_seq} 个事件，哈希 {check.current_head}")
            for ev in check.events_since:
                line = (f"    #{ev['seq']} {ev['at_local']} {ev['actor']}（{ev['role']}"
                        f"{'，' + ev['department'] if ev['department'] else ''}） {ev['action_label']}")
                click.echo(line + (f"：{ev['comment']}" if ev["comment"] else ""))
        click.echo("结论：一致" if report.ok else "结论：不一致")
        sys.exit(0 if report.ok else 1)

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="处理完队列中的任务后退出")
    @click.option("--queue", "queue_name", default=None, help="队列名（默认 RQ_QUEUE）")
    def worker(burst, queue_name):
        """Run an RQ worker for background jobs (batch exports); needs REDIS_URL."""
        url = current_app.config.get("REDIS_URL")
        if not url:
            click.echo("错误：未设置 REDIS_URL；没有 Redis 时后台任务在网页进程的线程中运行", err=True)
            sys.exit(2)
        from redis import Redis  # deferred: Redis and RQ load only when a worker is started
        from rq import Queue, Worker

        # The worker forks one child per job: connections opened here must not be shared.
        db.engine.dispose()
        connection = Redis.from_url(url)
        queue = Queue(queue_name or current_app.config["RQ_QUEUE"], connection=connection)
        Worker([queue], connection=connection).work(burst=burst, with_scheduler=False)
