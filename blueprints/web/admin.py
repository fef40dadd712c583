"""User and department administration (系统管理员 only)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from blueprints.extensions import db
from blueprints.web import ID, FormErrors, actor, bp, errors_from
from workflow.org import admin as directory_admin
from workflow.org import grants as role_grants_domain
from workflow.org.models import Department, DepartmentGroup, User
from workflow.org.roles import APPROVAL_ROLES, ROLE_LABELS, grant_approvers
from workflow.platform.errors import DomainError, InvalidInput
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
    pending = {g.user_id: g for g in role_grants_domain.grants_for(db.session, actor(), "pending")}
    return render_template("pages/admin_users.html", users=users, departments=departments,
                           roles=ROLE_LABELS, approval_roles=APPROVAL_ROLES, pending=pending,
                           errors=errors or FormErrors(), values=values or {}), status


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
    if user.role == form.get("role"):
        flash(f"已添加用户 {user.username}（{user.role_label}）")
    else:
        flash(f"已添加用户 {user.username}，暂不启用：授予“{ROLE_LABELS[form['role']]}”角色须经"
              f"{_approver_names(form['role'])}批准，批准后自动启用")
    return redirect(url_for("pages.admin_users"))


def _approver_names(role: str) -> str:
    return "、".join(ROLE_LABELS[r] for r in sorted(grant_approvers(role)))


@bp.post(f"/admin/users/<{ID}:user_id>/name")
def admin_user_name(user_id: int):
    try:
        user = directory_admin.update_user(db.session, actor(), user_id,
                                           display_name=request.form.get("display_name", ""))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        return _users_page(errors_from(exc, f"name-{user_id}", ("display_name",)),
                           status=exc.status)
    flash(f"已修改 {user.username} 的姓名为 {user.display_name}")
    return redirect(url_for("pages.admin_users"))


@bp.post(f"/admin/users/<{ID}:user_id>/role")
def admin_user_role(user_id: int):
    form = request.form
    try:
        dept = form.get("department_id") or None
        result = directory_admin.change_role(
            db.session, actor(), user_id, form.get("role", ""),
            parse_id(dept, "department_id") if dept else None)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        return _users_page(errors_from(exc, f"role-{user_id}", ("role", "department_id")),
                           status=exc.status)
    if isinstance(result, role_grants_domain.RoleGrant):
        flash(f"已申请授予 {result.user.username}“{result.to_label}”角色，"
              f"须经{_approver_names(result.to_role)}批准后生效")
    else:
        flash(f"已将 {result.username} 的角色变更为 {result.role_label}")
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
        parent = form.get("parent_id") or None
        dept = directory_admin.add_department(db.session, actor(), form.get("name", ""),
                                        form.get("kind", "department"), group_ids,
                                        parent_id=parse_id(parent, "parent") if parent else None)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _departments_page(errors_from(exc, "add", ("name", "kind", "groups", "parent")),
                                 {"add": form}, exc.status)
    flash(f"已添加部门：{dept.name}")
    return redirect(url_for("pages.admin_departments"))


@bp.post(f"/admin/departments/<{ID}:dept_id>/place")
def admin_department_place(dept_id: int):
    form = request.form
    try:
        parent = form.get("parent_id") or None
        dept = directory_admin.set_department_place(
            db.session, actor(), dept_id, form.get("kind", ""),
            parse_id(parent, "parent") if parent else None)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        return _departments_page(errors_from(exc, f"place-{dept_id}", ("kind", "parent")),
                                 {f"place-{dept_id}": form}, exc.status)
    flash(f"已调整属地层级：{dept.name}")
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


# --- role grants: requested by the administrator, approved by a second person --------
def _grants_page(errors=None, status=200):
    me = actor()
    grants = role_grants_domain.grants_for(db.session, me)
    return render_template("pages/role_grants.html", grants=grants, me=me,
                           can_decide=lambda g: role_grants_domain.can_decide(g, me),
                           errors=errors or FormErrors()), status


@bp.get("/role-grants")
def role_grants():
    return _grants_page()


@bp.post(f"/role-grants/<{ID}:grant_id>/decision")
def role_grant_decision(grant_id: int):
    form = request.form
    decision = form.get("decision")
    try:
        if decision not in ("approve", "refuse"):
            raise InvalidInput("请选择批准或不予批准", field="decision")
        grant = role_grants_domain.decide(db.session, actor(), grant_id, decision == "approve",
                                          form.get("comment"),
                                          check_names=lambda u: directory_admin.check_account_names(
                                              db.session, u))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        return _grants_page(errors_from(exc, f"grant-{grant_id}", ("comment", "decision")),
                            exc.status)
    flash(f"已{'批准' if grant.status == 'approved' else '不予批准'}授予 {grant.user.username}"
          f"“{grant.to_label}”角色")
    return redirect(url_for("pages.role_grants"))
