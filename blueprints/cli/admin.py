"""Command-line interface: ``flask --app wsgi …``."""
from __future__ import annotations

import sys

import click
from flask import current_app
from sqlalchemy import select

from blueprints.cli import departments as departments_cli
from blueprints.cli import evidence as evidence_cli
from blueprints.cli import messages as messages_cli
from blueprints.cli import problems as problems_cli
from blueprints.cli import records as records_cli
from blueprints.cli.tasklist import register as register_plans_cli
from blueprints.extensions import db
from workflow.core.audit import verify_all
from workflow.demo import load_demo
from workflow.org import adminlog
from workflow.org.admin import add_department
from workflow.org.auth import create_user
from workflow.org.models import Department, ensure_group
from workflow.org.names import check_visible
from workflow.org.roles import ROLES
from workflow.platform import migrate as migrations
from workflow.platform.db import read_only
from workflow.platform.errors import DomainError
from workflow.platform.vocab import UNIT_KINDS as UNIT_KIND_OPTIONS


def _fail(message: str, code: int = 1):
    click.echo(f"错误：{message}", err=True)
    sys.exit(code)


def register_cli(app) -> None:
    problems_cli.register(app)
    evidence_cli.register(app)
    records_cli.register(app)
    messages_cli.register(app)

    @app.cli.group("db")
    def db_group():
        """Database schema (Alembic migrations)."""

    @db_group.command("upgrade")
    @click.option("--revision", default="heads", show_default=True)
    def db_upgrade(revision):
        """Bring an empty or older database to the current schema."""
        migrations.upgrade(db.engine, revision)
        click.echo(f"数据库已升级到最新结构：{migrations.current(db.engine)}")

    @db_group.command("current")
    def db_current():
        click.echo(migrations.current(db.engine))

    @app.cli.group("departments")
    def departments():
        """Departments and department groups."""

    @departments.command("add")
    @click.argument("name")
    @click.option("--group", "groups", multiple=True, help="部门组键名，如 committee_members")
    @click.option("--kind", default="department", type=click.Choice(list(UNIT_KIND_OPTIONS)),
                  help="department 区级部门；town 镇/街道/开发区；village 村/社区；grid 网格；office 区安委办")
    @click.option("--parent", "parent_name", default=None,
                  help="上级单位名称（村/社区在镇之下，网格在镇或村/社区之下）")
    def departments_add(name, groups, kind, parent_name):
        name = name.strip()
        if not name:
            _fail("部门名称不能为空")
        try:
            check_visible(name, field="name", label="部门名称")
            for key in groups:
                check_visible(key, field="group", label="部门组键名")
            parent = None
            if parent_name:
                parent = db.session.scalar(select(Department).where(
                    Department.name == parent_name.strip()))
                if parent is None:
                    _fail(f"上级单位“{parent_name}”不存在，请先添加")
            dept = db.session.scalar(select(Department).where(Department.name == name))
            created = dept is None
            if created:
                dept = add_department(db.session, None, name, kind,
                                      parent_id=parent.id if parent else None)
            elif parent is not None and dept.parent_id != parent.id:
                _fail(f"部门“{name}”已存在，上级为“{dept.parent.name if dept.parent else '无'}”")
        except DomainError as exc:
            _fail(exc.message)
        added = []
        for key in groups:
            group = ensure_group(db.session, key, key)
            if dept not in group.members:
                group.members.append(dept)
                added.append(key)
        db.session.flush()
        if added:
            adminlog.record_act(db.session, None, "group_members_set", "department", dept.id,
                                {"name": dept.name, "kind": dept.kind, "groups_added": added,
                                 "via": "cli"})
        db.session.commit()
        where = f"，上级：{dept.parent.name}" if dept.parent else ""
        click.echo(f"{'已添加' if created else '已存在'}部门：{dept.name}（id={dept.id}{where}）")

    departments_cli.register(app)  # the 属地 tree (and any other unit commands) of cli/departments

    @departments.command("list")
    def departments_list():
        for dept in db.session.scalars(select(Department).order_by(Department.name)):
            click.echo(f"{dept.id}\t{dept.name}\t{','.join(g.key for g in dept.groups)}")

    @app.cli.group("users")
    def users():
        """User accounts."""

    @users.command("add")
    @click.argument("username")
    @click.option("--role", required=True, type=click.Choice(ROLES))
    @click.option("--department", "department_name", default=None)
    @click.option("--name", "display_name", default=None)
    @click.option("--password-stdin", is_flag=True, help="从标准输入读取密码")
    def users_add(username, role, department_name, display_name, password_stdin):
        if not password_stdin:
            _fail("请用 --password-stdin 从标准输入提供密码")
        password = sys.stdin.readline().rstrip("\n")
        dept = None
        if department_name:
            dept = db.session.scalar(select(Department).where(Department.name == department_name))
            if dept is None:
                _fail(f"部门“{department_name}”不存在，请先用 departments add 添加")
        try:
            user = create_user(db.session, username, role, password, display_name=display_name,
                               department=dept)
        except DomainError as exc:
            _fail(exc.message)
        # the bootstrap path: no second approval, but on the record like every other act
        adminlog.record_act(db.session, None, "user_create_cli", "user", user.id, {
            "user": adminlog.user_ref(user), "role": user.role,
            "department_id": user.department_id, "via": "cli"})
        db.session.commit()
        click.echo(f"已添加用户 {user.username}（{user.role_label}）")

    @app.cli.group("audit")
    def audit():
        """Audit chain."""

    @audit.command("verify")
    def audit_verify():
        """Recompute every case's hash chain; non-zero exit names the first broken event."""
        with read_only():
            broken = list(verify_all(db.session))
        if broken:
            for item in broken:
                click.echo(f"审计链断裂：{item}", err=True)
            sys.exit(1)
        click.echo("审计链完整：所有事项的事件哈希均校验通过")

    @app.cli.group("admin-log")
    def admin_log():
        """The administration log (accounts, roles, departments, calendar)."""

    @admin_log.command("verify")
    def admin_log_verify():
        """Recompute the admin log's hash chain; exit 1 naming the first broken event."""
        with read_only():
            broken = adminlog.verify_admin_log(db.session)
            count = adminlog.count_events(db.session)
        if broken:
            click.echo(f"管理日志链断裂：{broken}", err=True)
            sys.exit(1)
        click.echo(f"管理日志完整：{count} 条事件的哈希均校验通过")

    @app.cli.command("demo")
    def demo():
        """Load demo users for every role and sample cases; print how to log in."""
        lines = load_demo(db.session, current_app.config)
        db.session.commit()
        for line in lines:
            click.echo(line)

    register_plans_cli(app)
    departments_cli.register(app)  # departments alias / aliases / unalias
