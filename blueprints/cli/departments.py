"""``flask --app wsgi departments …``: department aliases and host bodies, units and the 属地 tree.

``departments_group(app)`` returns the one ``departments`` command group (created here
when no other module made it first), so every module adds its commands to the same group:
``departments_group(app).add_command(...)``.
``departments add NAME --kind town|village|grid --parent PARENT`` (in ``cli.admin``) adds a unit
under its parent; ``departments tree`` prints the tree; ``departments place NAME --kind …
--parent …`` moves an existing unit (a town migrated from before the tree, say).
"""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from blueprints.extensions import db
from workflow.org import adminlog
from workflow.org.admin import check_parent
from workflow.org.aliases import ALIAS_KINDS, list_aliases, remove_alias, set_alias
from workflow.org.models import Department
from workflow.platform.errors import DomainError
from workflow.platform.vocab import UNIT_KINDS


def departments_group(app) -> click.Group:
    group = app.cli.commands.get("departments")
    if group is None:
        @app.cli.group("departments")
        def group():
            """Departments, department groups and the 属地 tree."""
    return group


@click.command("alias")
@with_appcontext
@click.argument("alias")
@click.argument("target")
@click.option("--host", is_flag=True,
              help="ALIAS 是由 TARGET 承办的临时机构（如 区专治办 由 区安委办 承办），而非同一单位的别名")
def alias_command(alias, target, host):
    """Map ALIAS (a name a document uses) to the department TARGET (name or id)."""
    try:
        row = set_alias(db.session, None, alias, target, kind="host" if host else "alias")
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        click.echo(f"错误：{exc.message}", err=True)
        sys.exit(1)
    click.echo(f"{ALIAS_KINDS[row.kind]}：{row.label}（id={row.id}）")


@click.command("aliases")
@with_appcontext
def aliases_command():
    """List department aliases and host bodies."""
    for row in list_aliases(db.session):
        click.echo(f"{row.id}\t{row.alias}\t{row.kind}\t{row.department.name}")


@click.command("unalias")
@with_appcontext
@click.argument("alias_id", type=int)
def unalias_command(alias_id):
    """Remove an alias by its id (see ``departments aliases``)."""
    try:
        remove_alias(db.session, None, alias_id)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        click.echo(f"错误：{exc.message}", err=True)
        sys.exit(1)
    click.echo(f"已删除别名 {alias_id}")


def register(app) -> None:
    group = departments_group(app)
    for command in (alias_command, aliases_command, unalias_command):
        group.add_command(command)
    _register_tree(group)


def _by_name(name: str) -> Department:
    dept = db.session.scalar(select(Department).where(Department.name == name.strip()))
    if dept is None:
        click.echo(f"错误：单位“{name}”不存在", err=True)
        sys.exit(1)
    return dept


def _register_tree(group) -> None:

    @group.command("tree")
    def departments_tree():
        """Print the 属地 tree (towns → 村/社区 → 网格) and the other units."""
        units = db.session.scalars(select(Department).order_by(Department.name)).all()
        below: dict = {}
        for u in units:
            below.setdefault(u.parent_id, []).append(u)

        def show(unit, depth):
            mark = "" if unit.active else "（已停用）"
            click.echo(f"{'  ' * depth}{unit.name}\t{UNIT_KINDS.get(unit.kind, unit.kind)}"
                       f"\tid={unit.id}{mark}")
            for child in below.get(unit.id, []):
                show(child, depth + 1)

        for unit in below.get(None, []):
            show(unit, 0)

    @group.command("place")
    @click.argument("name")
    @click.option("--kind", required=True, type=click.Choice(list(UNIT_KINDS)))
    @click.option("--parent", "parent_name", default=None)
    def departments_place(name, kind, parent_name):
        """Set an existing unit's kind and parent."""
        dept = _by_name(name)
        parent = _by_name(parent_name) if parent_name else None
        try:
            check_parent(db.session, kind, parent.id if parent else None, child_id=dept.id)
        except DomainError as exc:
            click.echo(f"错误：{exc.message}", err=True)
            sys.exit(1)
        before = {"kind": dept.kind, "parent_id": dept.parent_id}
        dept.kind, dept.parent_id = kind, parent.id if parent else None
        db.session.flush()
        adminlog.record_act(db.session, None, "department_place", "department", dept.id,
                            {"before": before, "kind": kind, "parent_id": dept.parent_id,
                             "via": "cli"})
        db.session.commit()
        click.echo(f"已调整：{dept.name}（{UNIT_KINDS[kind]}"
                   f"{'，上级：' + parent.name if parent else ''}）")
