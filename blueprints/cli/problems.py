"""``flask --app wsgi sweep``: the daily overdue / reminder / escalation run."""
from __future__ import annotations

import sys
from datetime import date

import click
from flask import current_app

from blueprints.extensions import db
from workflow.problems.supervision import alert_label
from workflow.problems.sweep import SweepSettings, run_sweep
from workflow.tasklist.reporting import sweep_reporting


def register(app) -> None:
    @app.cli.command("sweep")
    @click.option("--today", default=None, metavar="YYYY-MM-DD",
                  help="按指定日期运行（补跑或演练）；默认北京时间今天")
    @click.option("--enqueue", is_flag=True, help="不在本进程运行，而是放入 RQ 队列由 worker 执行")
    def sweep(today, enqueue):
        """Mark overdue cases, send reminders and climb the escalation ladder (idempotent)."""
        day = None
        if today:
            try:
                day = date.fromisoformat(today)
            except ValueError:
                click.echo(f"错误：--today “{today}” 不是有效日期（YYYY-MM-DD）", err=True)
                sys.exit(2)
        if enqueue:
            _enqueue(today)
            return
        result = run_sweep(db.session, today=day,
                           settings=SweepSettings.from_config(current_app.config))
        reports = sweep_reporting(db.session, today=day)
        db.session.commit()
        r = result.to_dict()
        click.echo(f"{r['today']} 巡检完成：新标记逾期 {r['overdue_marked']} 件，解除逾期 "
                   f"{r['overdue_cleared']} 件")
        click.echo("期限提醒：" + "，".join(f"{alert_label(k)} {v} 件"
                                          for k, v in r["reminders"].items()))
        click.echo("逐级督办：" + "，".join(f"{alert_label(k)} {v} 件"
                                          for k, v in r["escalations"].items()))
        click.echo(f"目标任务工作进展：报送提醒 {reports['report_due']} 件，滞后提示 "
                   f"{reports['report_late']} 件（目标任务不逐级督办）")
        click.echo(f"站内消息 {r['notifications']} 条")


def _enqueue(today: str | None) -> None:
    url = current_app.config.get("REDIS_URL")
    if not url:
        click.echo("错误：未配置 REDIS_URL，无法放入队列；请直接运行 flask --app wsgi sweep", err=True)
        sys.exit(1)
    from redis import Redis  # deferred: Redis and RQ load only when a job is queued
    from rq import Queue

    # the queue the worker (`flask worker`) and RQ's cron listen on, not RQ's "default"
    job = Queue(current_app.config["RQ_QUEUE"], connection=Redis.from_url(url)).enqueue(
        "blueprints.jobs.scheduled_sweep", current_app.config["DATABASE_URL"], today)
    click.echo(f"已放入队列：{job.id}")
