"""``flask --app wsgi departments …``: department aliases and host bodies.

``departments_group(app)`` returns the one ``departments`` command group (created here
when no other module made it first), so every module adds its commands to the same group:
``departments_group(app).add_command(...)``.
"""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from blueprints.extensions import db
from workflow.org.aliases import ALIAS_KINDS, list_aliases, remove_alias, set_alias
from workflow.platform.errors import DomainError


def departments_group(app) -> click.Group:
    group = app.cli.commands.get("departments")
    if group is None:
        @app.cli.group("departments")
        def group():
            """Departments and department groups."""
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
