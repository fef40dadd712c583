"""User and department administration (系统管理员 only)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from blueprints.extensions import db
from blueprints.web import ID, FormErrors, actor, bp, errors_from
from workflow.org import admin as directory_admin
from workflow.org.models import Department, DepartmentGroup, User
from workflow.org.roles import ROLE_LABELS
from workflow.platform.errors import DomainError
from workflow.platform.parsing import parse_id


@bp.before_request
def _admin_only():
    if request.endpoint and request.endpoint.startswith("pages.admin_"):
        directory_admin.require_admin(actor())  # 403 for everyone else, before any form is read


def _users_page(errors=None, values=None, status=200):
    users = db.session.scalars(select(User).order_by(User.active.desc(), User.role,
                                                     User.username)).all()
    departments = db.session.scalars(select(Department).order_by(Department.kind,
                                                                 Department.name)).all()
    return render_template("pages/admin_users.html", users=users, departments=departments,
                           roles=ROLE_LABELS, errors=errors or FormErrors(),
                           values=values or {}), status


@bp.get("/admin/users")
def admin_users():
    return _users_page()


@bp.post("/admin/users")
def admin_user_add():
    form = request.form
    try:
        dept = form.get("department_id") or None
        user = directory_admin.add_user(
            db.session, actor(), username=form.get("username", ""),
            display_name=form.get("display_name", ""), role=form.get("role", ""),
            department_id=parse_id(dept, "department_id") if dept else None,
            password=form.get("password", ""))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _users_page(errors_from(exc, "add", ("username", "display_name", "role",
                                                    "department_id", "password")),
                           {"add": form}, exc.status)
    flash(f"已添加用户 {user.username}（{user.role_label}）")
    return redirect(url_for("pages.admin_users"))


@bp.post(f"/admin/users/<{ID}:user_id>/password")
def admin_user_password(user_id: int):
    try:
        user = directory_admin.reset_password(db.session, actor(), user_id,
                                        request.form.get("password", ""))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        return _users_page(errors_from(exc, f"pw-{user_id}", ("password",)), status=exc.status)
    flash(f"已重置 {user.username} 的密码")
    return redirect(url_for("pages.admin_users"))


@bp.post(f"/admin/users/<{ID}:user_id>/active")
def admin_user_active(user_id: int):
    active = request.form.get("active") == "1"
    try:
        user = directory_admin.set_active(db.session, actor(), user_id, active)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        return _users_page(errors_from(exc, f"active-{user_id}"), status=exc.status)
    flash(f"已{'启用' if active else '停用'}用户 {user.username}")
    return redirect(url_for("pages.admin_users"))


def _departments_page(errors=None, values=None, status=200):
    departments = db.session.scalars(select(Department).order_by(Department.kind,
                                                                 Department.name)).all()
    groups = db.session.scalars(select(DepartmentGroup).order_by(DepartmentGroup.name)).all()
    return render_template("pages/admin_departments.html", departments=departments,
                           groups=groups, kinds=directory_admin.DEPARTMENT_KINDS,
                           errors=errors or FormErrors(), values=values or {}), status


@bp.get("/admin/departments")
def admin_departments():
    return _departments_page()


@bp.post("/admin/departments")
def admin_department_add():
    form = request.form
    try:
        group_ids = [parse_id(v, "groups") for v in form.getlist("groups")]
        dept = directory_admin.add_department(db.session, actor(), form.get("name", ""),
                                        form.get("kind", "department"), group_ids)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _departments_page(errors_from(exc, "add", ("name", "kind", "groups")),
                                 {"add": form}, exc.status)
    flash(f"已添加部门：{dept.name}")
    return redirect(url_for("pages.admin_departments"))


@bp.post(f"/admin/departments/<{ID}:dept_id>/name")
def admin_department_rename(dept_id: int):
    try:
        dept = directory_admin.rename_department(db.session, actor(), dept_id,
                                           request.form.get("name", ""))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        return _departments_page(errors_from(exc, f"rename-{dept_id}", ("name",)),
                                 {f"rename-{dept_id}": request.form}, exc.status)
    flash(f"部门已更名为：{dept.name}")
    return redirect(url_for("pages.admin_departments"))


@bp.route(f"/admin/groups/<{ID}:group_id>", methods=["GET", "POST"])
def admin_group(group_id: int):
    group = db.session.get(DepartmentGroup, group_id)
    if group is None:
        abort(404)
    errors = FormErrors()
    status = 200
    if request.method == "POST":
        try:
            ids = [parse_id(v, "members") for v in request.form.getlist("members")]
            directory_admin.set_group_members(db.session, actor(), group_id, ids)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            errors, status = errors_from(exc, "members", ("members",)), exc.status
        else:
            flash(f"已更新“{group.name}”的成员（{len(group.members)} 个）")
            return redirect(url_for("pages.admin_departments"))
    departments = db.session.scalars(select(Department).order_by(Department.kind,
                                                                 Department.name)).all()
    return render_template("pages/admin_group.html", group=group, departments=departments,
                           members={d.id for d in group.members}, errors=errors,
                           kinds=directory_admin.DEPARTMENT_KINDS), status
