"""Roles of the domain brief §2 and their Chinese names."""
from __future__ import annotations

DEPT_OFFICER = "dept_officer"
DEPT_HEAD = "dept_head"
OFFICE_STAFF = "office_staff"
OFFICE_DIRECTOR = "office_director"
INSPECTOR = "inspector"
AUDITOR = "auditor"
DISCIPLINE = "discipline"
LEADER = "leader"
ADMIN = "admin"

ROLE_LABELS = {
    DEPT_OFFICER: "部门联络员",
    DEPT_HEAD: "部门负责人",
    OFFICE_STAFF: "区安委办经办人",
    OFFICE_DIRECTOR: "区安委办主任",
    INSPECTOR: "检查人员",
    AUDITOR: "审计",
    DISCIPLINE: "纪检监察",
    LEADER: "区领导",
    ADMIN: "系统管理员",
}
ROLES = tuple(ROLE_LABELS)
DEPARTMENT_ROLES = frozenset({DEPT_OFFICER, DEPT_HEAD})
OFFICE_ROLES = frozenset({OFFICE_STAFF, OFFICE_DIRECTOR})
# Roles that read every case; department users see their own department's only.
# 审计 (auditor) reads and prints; 纪检监察 (discipline) reads too, receives 问责移交 and
# records their outcome. Accounts created as the former 审计/纪检 keep the auditor role.
READ_ALL_ROLES = frozenset({OFFICE_STAFF, OFFICE_DIRECTOR, AUDITOR, DISCIPLINE, LEADER, INSPECTOR})

# 三员分立: the system administrator manages accounts, but a role that reads every case
# (or administers the system) takes effect only once a second person approves it.
APPROVAL_ROLES = READ_ALL_ROLES | {ADMIN}
# A new account whose role still awaits that approval holds this role: no rights at all.
PENDING_ROLE = "pending"
PENDING_ROLE_LABEL = "待批准授权"


def grant_approvers(role: str) -> frozenset[str]:
    """Who approves a grant of ``role``: the 区安委办主任 for the business roles he is
    answerable for, another system administrator for the administrator role."""
    return frozenset({ADMIN}) if role == ADMIN else frozenset({OFFICE_DIRECTOR})
