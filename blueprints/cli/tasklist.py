"""``flask --app wsgi import-tasklist FILE --year YEAR [--dry-run]``."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from sqlalchemy import select

from blueprints.extensions import db, settings
from workflow.org.models import User
from workflow.org.roles import OFFICE_STAFF
from workflow.platform.errors import DomainError
from workflow.tasklist.changes import preview_lines
from workflow.tasklist.importer import import_tasklist
from workflow.tasklist.models import PLAN_KINDS


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
    @click.option("--plan-id", type=int, default=None, help="再次导入到这份清单")
    @click.option("--kind", type=click.Choice(list(PLAN_KINDS)), default=None,
                  help="清单类型（默认 annual 年度目标任务清单）")
    @click.option("--end-year", type=click.IntRange(2000, 2100), default=None,
                  help="跨年度专项行动的结束年度")
    @click.option("--new-plan", is_flag=True, help="同一年度同类型另建一份清单")
    @click.option("--choices", "choices_file", default=None,
                  type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="区安委办的选择（JSON 文件：names、items、targets）")
    @click.option("--create-unknown", is_flag=True,
                  help="把仍未选择处理方式的未登记名称全部新建为单位")
    def import_tasklist_command(file, year, dry_run, apply_changes, username, title, doc_number,
                                plan_id, kind, end_year, new_plan, choices_file, create_unknown):
        """Import a task list (.docx, .xlsx or text) and assign its task cases."""
        actor = _actor(username)
        try:
            choices = json.loads(choices_file.read_text("utf-8")) if choices_file else None
        except ValueError as exc:
            raise click.ClickException(f"--choices 文件不是有效的 JSON：{exc}") from None
        try:
            result = import_tasklist(db.session, file.read_bytes(), file.name, year, actor,
                                     dry_run=dry_run, apply_changes=apply_changes, title=title,
                                     doc_number=doc_number, settings=settings(), plan_id=plan_id,
                                     kind=kind, end_year=end_year, new_plan=new_plan,
                                     choices=choices, create_unknown=create_unknown)
        except DomainError as exc:
            db.session.rollback()
            for line in exc.extra.get("summary") or []:
                click.echo(line, err=True)
            click.echo(f"错误：{exc.message}", err=True)
            sys.exit(1)
        if dry_run:
            db.session.rollback()
            for line in preview_lines(result):
                click.echo(line)
        else:
            db.session.commit()
        for line in result.lines():
            click.echo(line)
