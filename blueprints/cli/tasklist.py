"""``flask --app wsgi import-tasklist FILE --year YEAR [--dry-run]``."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import select

from blueprints.extensions import db, settings
from workflow.org.models import User
from workflow.org.roles import OFFICE_STAFF
from workflow.platform.errors import DomainError
from workflow.tasklist.importer import import_tasklist


def _actor(username: str | None) -> User:
    stmt = select(User).where(User.active.is_(True))
    if username:
        user = db.session.scalar(stmt.where(User.username == username))
        if user is None:
            raise click.ClickException(f"用户“{username}”不存在或已停用")
        return user
    user = db.session.scalar(stmt.where(User.role == OFFICE_STAFF).order_by(User.id))
    if user is None:
        raise click.ClickException("系统中没有在用的区安委办经办人账号：请先用 users add 添加，或用 --user 指定")
    return user


def register(app) -> None:
    @app.cli.command("import-tasklist")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--year", required=True, type=click.IntRange(2000, 2100), help="清单年度")
    @click.option("--dry-run", is_flag=True, help="只预览将发生的变化，不写入")
    @click.option("--apply-changes", is_flag=True, help="该年度已导入且文件有变化时，确认应用变化")
    @click.option("--user", "username", default=None,
                  help="以哪个区安委办经办人的名义挂号交办（默认：第一个在用的经办人）")
    @click.option("--title", default=None, help="清单标题（默认取文件中的标题）")
    @click.option("--doc-number", default=None, help="文号")
    def import_tasklist_command(file, year, dry_run, apply_changes, username, title, doc_number):
        """Import the annual task list (.docx, .xlsx or text) and assign its task cases."""
        actor = _actor(username)
        try:
            result = import_tasklist(db.session, file.read_bytes(), file.name, year, actor,
                                     dry_run=dry_run, apply_changes=apply_changes, title=title,
                                     doc_number=doc_number, settings=settings())
        except DomainError as exc:
            db.session.rollback()
            for line in exc.extra.get("summary") or []:
                click.echo(line, err=True)
            click.echo(f"错误：{exc.message}", err=True)
            sys.exit(1)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        for line in result.lines():
            click.echo(line)
