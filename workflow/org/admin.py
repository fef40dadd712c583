"""Administration of users, departments and department groups (role ``admin`` only)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.org import adminlog, grants
from workflow.org.adminlog import user_ref
from workflow.org.auth import check_password_strength, create_user, end_credentials, hash_password
from workflow.org.models import Department, DepartmentGroup, User
from workflow.org.names import check_names_free, check_visible, clean_display_name
from workflow.org.roles import ADMIN, APPROVAL_ROLES, DEPARTMENT_ROLES, PENDING_ROLE, ROLES
from workflow.platform.errors import Forbidden, InvalidInput, NotFound, RuleFailed
from workflow.platform.vocab import UNIT_KINDS, UNIT_PARENT_KINDS

DEPARTMENT_KINDS = {"department": "部门", "town": "镇/开发区/街道", "office": "区安委办",
                    "village": "村/社区", "grid": "网格"}


def require_admin(actor: User) -> None:
    if actor.role != ADMIN:
        raise Forbidden("用户和部门管理须由系统管理员办理", needed_roles=[ADMIN],
                        rules=["role_required"])


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"用户 {user_id} 不存在")
    return user


def _department(session: Session, dept_id: int | None, field: str = "department_id") -> Department:
    dept = session.get(Department, dept_id) if dept_id else None
    if dept is None:
        raise InvalidInput("部门不存在", field=field)
    return dept


def _user_department(session: Session, role: str, department_id: int | None) -> Department | None:
    dept = None
    if department_id:
        dept = _department(session, department_id)
        if not dept.active:
            raise InvalidInput(f"部门“{dept.name}”已停用", field="department_id")
    if role in DEPARTMENT_ROLES and dept is None:
        raise InvalidInput("部门用户须指定所属部门", field="department_id")
    return dept


def add_user(session: Session, actor: User, *, username: str, display_name: str, role: str,
             department_id: int | None, password: str) -> User:
    """Add an account; department roles need an active department.

    An account for a role in ``APPROVAL_ROLES`` is created disabled, without any
    role, and a role grant is requested: it is enabled when a second person approves.
    """
    require_admin(actor)
    dept = _user_department(session, role, department_id)
    try:
        user = create_user(session, username, role, password,
                           display_name=clean_display_name(display_name) or None, department=dept)
    except InvalidInput as exc:
        # the core names the field ``department``; the form calls it department_id
        if exc.field == "department":
            raise InvalidInput(exc.message, field="department_id") from None
        raise
    needs_approval = role in APPROVAL_ROLES
    if needs_approval:
        user.role, user.active = PENDING_ROLE, False
        session.flush()
    adminlog.record_act(session, actor, "user_create", "user", user.id, {
        "user": user_ref(user), "role": user.role, "department_id": user.department_id,
        "active": user.active})
    if needs_approval:
        grants.request_grant(session, actor, user, role, dept)
    return user


def update_user(session: Session, actor: User, user_id: int, *, display_name: str) -> User:
    """Change an account's display name (unique among active accounts)."""
    require_admin(actor)
    user = _user(session, user_id)
    name = clean_display_name(display_name)
    if not name:
        raise InvalidInput("姓名不能为空", field="display_name")
    if name == user.display_name:
        return user
    if user.active:
        check_names_free(session, display_name=name, exclude_id=user.id)
    before = user.display_name
    user.display_name = name
    session.flush()
    adminlog.record_act(session, actor, "user_update", "user", user.id, {
        "user": user_ref(user), "display_name": {"before": before, "after": name}})
    return user


def change_role(session: Session, actor: User, user_id: int, role: str,
                department_id: int | None) -> grants.RoleGrant | User:
    """Change an account's role: a role in ``APPROVAL_ROLES`` is only requested (the
    grant is returned); any other role (the department roles) is set at once."""
    require_admin(actor)
    user = _user(session, user_id)
    if role not in ROLES:
        raise InvalidInput(f"未知角色“{role}”", field="role")
    dept = _user_department(session, role, department_id)
    if role == user.role and (dept.id if dept else None) == user.department_id:
        raise InvalidInput("角色和部门均未改变", field="role")
    if role in APPROVAL_ROLES:
        return grants.request_grant(session, actor, user, role, dept)
    if grants.pending_for(session, user.id) is not None:
        raise RuleFailed(["role_grant_pending"])
    before = {"role": user.role, "department_id": user.department_id}
    user.role, user.department = role, dept
    session.flush()
    adminlog.record_act(session, actor, "user_role_change", "user", user.id, {
        "user": user_ref(user), "before": before,
        "after": {"role": role, "department_id": user.department_id}})
    return user


def reset_password(session: Session, actor: User, user_id: int, password: str) -> User:
    require_admin(actor)
    user = _user(session, user_id)
    check_password_strength(password, username=user.username, current_hash=user.password_hash)
    user.password_hash = hash_password(password)
    end_credentials(user)  # the old password's sessions and tokens end with it
    session.flush()
    adminlog.record_act(session, actor, "password_reset", "user", user.id, {"user": user_ref(user)})
    return user


def set_active(session: Session, actor: User, user_id: int, active: bool) -> User:
    """Deactivate (sessions and API tokens end for good) or reactivate an account.

    Deactivation raises the credentials epoch, so reactivating does not revive old tokens
    or sessions: the user signs in again and issues new tokens.
    """
    require_admin(actor)
    user = _user(session, user_id)
    if user.id == actor.id and not active:
        raise InvalidInput("不能停用自己的账号", field="user")
    if active and user.role in DEPARTMENT_ROLES and user.department and not user.department.active:
        raise InvalidInput(f"部门“{user.department.name}”已停用，不能启用其用户", field="user")
    if active and user.role == PENDING_ROLE:
        raise RuleFailed(["role_grant_pending"])
    if active == user.active:
        return user
    if active:
        check_names_free(session, display_name=user.display_name, exclude_id=user.id)
    if user.active and not active:
        end_credentials(user)
    user.active = active
    session.flush()
    adminlog.record_act(session, actor, "user_reactivate" if active else "user_deactivate", "user",
                    user.id, {"user": user_ref(user)})
    return user


def check_account_names(session: Session, user: User) -> None:
    """Before a new account is enabled: its display name is still free among active ones."""
    check_names_free(session, display_name=user.display_name, exclude_id=user.id)


def _clean_name(session: Session, name: str, *, exclude_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("部门名称不能为空", field="name")
    if len(name) > 100:
        raise InvalidInput("部门名称过长（最多 100 字）", field="name")
    check_visible(name, field="name", label="部门名称")
    clash = session.scalar(select(Department).where(Department.name == name))
    if clash is not None and clash.id != exclude_id:
        raise InvalidInput(f"部门“{name}”已存在", field="name")
    return name


def check_parent(session: Session, kind: str, parent_id: int | None,
                 child_id: int | None = None) -> Department | None:
    """The 属地 tree: a 村/社区 under a town, a 网格 under a town or a 村/社区; others on top."""
    allowed = UNIT_PARENT_KINDS.get(kind, (None,))
    if parent_id is None:
        if None not in allowed:
            names = "或".join(UNIT_KINDS[k] for k in allowed if k)
            raise InvalidInput(f"{UNIT_KINDS[kind]}须指定上级（{names}）", field="parent")
        return None
    parent = session.get(Department, parent_id)
    if parent is None or not parent.active:
        raise InvalidInput(f"上级单位 {parent_id} 不存在或已停用", field="parent")
    if parent.kind not in allowed or (child_id is not None and child_id in parent.ancestor_ids()):
        raise InvalidInput(f"{UNIT_KINDS.get(kind, kind)}不能设在{UNIT_KINDS.get(parent.kind, parent.kind)}"
                           f"“{parent.name}”之下", field="parent")
    return parent


def add_department(session: Session, actor: User | None, name: str, kind: str = "department",
                   group_ids: list[int] = (), parent_id: int | None = None) -> Department:
    """Add a unit (``actor`` None: the command line, recorded as such)."""
    if actor is not None:
        require_admin(actor)
    if kind not in DEPARTMENT_KINDS:
        raise InvalidInput(f"部门类型须为：{', '.join(DEPARTMENT_KINDS.values())}", field="kind")
    parent = check_parent(session, kind, parent_id)
    dept = Department(name=_clean_name(session, name), kind=kind,
                      parent_id=parent.id if parent else None)
    for gid in group_ids:
        group = session.get(DepartmentGroup, gid)
        if group is None:
            raise InvalidInput(f"部门组 {gid} 不存在", field="groups")
        dept.groups.append(group)
    session.add(dept)
    session.flush()
    adminlog.record_act(session, actor, "department_create", "department", dept.id,
                    {"name": dept.name, "kind": kind, "groups": [g.key for g in dept.groups],
                     **({"parent_id": dept.parent_id} if dept.parent_id else {}),
                     **({"via": "cli"} if actor is None else {})})
    return dept


def set_department_place(session: Session, actor: User, dept_id: int, kind: str,
                         parent_id: int | None) -> Department:
    """Place a unit in the 属地 tree (its kind and parent); its cases follow it."""
    require_admin(actor)
    dept = session.get(Department, dept_id)
    if dept is None:
        raise NotFound(f"部门 {dept_id} 不存在")
    if kind not in DEPARTMENT_KINDS:
        raise InvalidInput(f"部门类型须为：{', '.join(DEPARTMENT_KINDS.values())}", field="kind")
    parent = check_parent(session, kind, parent_id, child_id=dept.id)
    before = {"kind": dept.kind, "parent_id": dept.parent_id}
    dept.kind, dept.parent_id = kind, parent.id if parent else None
    session.flush()
    adminlog.record_act(session, actor, "department_place", "department", dept.id,
                        {"before": before, "kind": kind, "parent_id": dept.parent_id})
    return dept


def rename_department(session: Session, actor: User, dept_id: int, name: str) -> Department:
    """Rename a department; its cases, users and past audit events keep referring to it."""
    require_admin(actor)
    dept = session.get(Department, dept_id)
    if dept is None:
        raise NotFound(f"部门 {dept_id} 不存在")
    before = dept.name
    dept.name = _clean_name(session, name, exclude_id=dept.id)
    session.flush()
    if dept.name != before:
        adminlog.record_act(session, actor, "department_rename", "department", dept.id,
                        {"before": before, "after": dept.name})
    return dept


def set_group_members(session: Session, actor: User, group_id: int,
                      department_ids: list[int]) -> DepartmentGroup:
    """Replace the members of a department group (各镇、开发区、街道, 安委会成员单位 …)."""
    require_admin(actor)
    group = session.get(DepartmentGroup, group_id)
    if group is None:
        raise NotFound(f"部门组 {group_id} 不存在")
    members = []
    for dept_id in dict.fromkeys(department_ids):
        members.append(_department(session, dept_id, field="members"))
    before = sorted(d.id for d in group.members)
    group.members = members
    session.flush()
    adminlog.record_act(session, actor, "group_members_set", "department_group", group.id,
                    {"key": group.key, "before": before, "after": sorted(d.id for d in members)})
    return group
