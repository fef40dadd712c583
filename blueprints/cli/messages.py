"""``flask messages send``: messages the sweep or an unreachable queue left pending."""
from __future__ import annotations

import click
from flask import current_app

from blueprints.extensions import db
from blueprints.jobs import transport
from workflow.core import delivery


def register(app) -> None:
    @app.cli.group("messages")
    def messages():
        """Messages out of the app (e-mail, group robots)."""

    @messages.command("send")
    @click.option("--limit", default=500, show_default=True)
    def send(limit):
        """Try every pending delivery once (run from cron after the sweep); exit 1 if any failed."""
        sent = failed = 0
        for delivery_id in delivery.pending_ids(db.session, limit):
            row = delivery.attempt(db.session, delivery_id, transport(current_app))
            db.session.commit()
            sent += row.status == "sent"
            failed += row.status == "failed"
        click.echo(f"已发送 {sent} 条，失败 {failed} 条")
        raise SystemExit(1 if failed else 0)
