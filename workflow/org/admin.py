"""Administration of users, departments and department groups (role ``admin`` only)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.org.auth import check_password_strength, create_user, end_credentials, hash_password
from workflow.org.models import Department, DepartmentGroup, User
from workflow.org.roles import ADMIN, DEPARTMENT_ROLES
from workflow.platform.errors import Forbidden, InvalidInput, NotFound

DEPARTMENT_KINDS = {"department": "部门", "town": "镇/开发区/街道", "office": "区安委办"}


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


def add_user(session: Session, actor: User, *, username: str, display_name: str, role: str,
             department_id: int | None, password: str) -> User:
    """Add an account; department roles need an active department."""
    require_admin(actor)
    dept = None
    if department_id:
        dept = _department(session, department_id)
        if not dept.active:
            raise InvalidInput(f"部门“{dept.name}”已停用", field="department_id")
    display_name = (display_name or "").strip()
    if len(display_name) > 80:
        raise InvalidInput("姓名过长（最多 80 字）", field="display_name")
    try:
        return create_user(session, username, role, password, display_name=display_name or None,
                           department=dept)
    except InvalidInput as exc:
        # the core names the field ``department``; the form calls it department_id
        if exc.field == "department":
            raise InvalidInput(exc.message, field="department_id") from None
        raise


def reset_password(session: Session, actor: User, user_id: int, password: str) -> User:
    require_admin(actor)
    user = _user(session, user_id)
    check_password_strength(password, username=user.username, current_hash=user.password_hash)
    user.password_hash = hash_password(password)
    end_credentials(user)  # the old password's sessions and tokens end with it
    session.flush()
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
    if user.active and not active:
        end_credentials(user)
    user.active = active
    session.flush()
    return user


def _clean_name(session: Session, name: str, *, exclude_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("部门名称不能为空", field="name")
    if len(name) > 100:
        raise InvalidInput("部门名称过长（最多 100 字）", field="name")
    clash = session.scalar(select(Department).where(Department.name == name))
    if clash is not None and clash.id != exclude_id:
        raise InvalidInput(f"部门“{name}”已存在", field="name")
    return name


def add_department(session: Session, actor: User, name: str, kind: str = "department",
                   group_ids: list[int] = ()) -> Department:
    require_admin(actor)
    if kind not in DEPARTMENT_KINDS:
        raise InvalidInput(f"部门类型须为：{', '.join(DEPARTMENT_KINDS.values())}", field="kind")
    dept = Department(name=_clean_name(session, name), kind=kind)
    for gid in group_ids:
        group = session.get(DepartmentGroup, gid)
        if group is None:
            raise InvalidInput(f"部门组 {gid} 不存在", field="groups")
        dept.groups.append(group)
    session.add(dept)
    session.flush()
    return dept


def rename_department(session: Session, actor: User, dept_id: int, name: str) -> Department:
    """Rename a department; its cases, users and past audit events keep referring to it."""
    require_admin(actor)
    dept = session.get(Department, dept_id)
    if dept is None:
        raise NotFound(f"部门 {dept_id} 不存在")
    dept.name = _clean_name(session, name, exclude_id=dept.id)
    session.flush()
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
    group.members = members
    session.flush()
    return group
