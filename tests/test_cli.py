"""Command-line administration: departments, users, demo."""
from __future__ import annotations

from sqlalchemy import func, select

from workflow.core.cases import Case
from workflow.org.models import Department, User


def test_departments_add_with_group(runner, session):
    result = runner.invoke(args=["departments", "add", "区应急管理局", "--group", "committee_members"])
    assert result.exit_code == 0 and "已添加" in result.output
    again = runner.invoke(args=["departments", "add", "区应急管理局"])
    assert again.exit_code == 0 and "已存在" in again.output
    dept = session.scalar(select(Department).where(Department.name == "区应急管理局"))
    assert [g.key for g in dept.groups] == ["committee_members"]


def test_users_add_reads_password_from_stdin(runner, session, client):
    runner.invoke(args=["departments", "add", "区住建局"])
    result = runner.invoke(args=["users", "add", "zhou", "--role", "dept_head",
                                 "--department", "区住建局", "--password-stdin"],
                           input="long-enough-pw\n")
    assert result.exit_code == 0, result.output
    resp = client.post("/api/v1/tokens", json={"username": "zhou", "password": "long-enough-pw"})
    assert resp.status_code == 201 and resp.json["user"]["department"] == "区住建局"


def test_users_add_refusals(runner, session):
    cases = [
        (["users", "add", "a", "--role", "dept_head", "--department", "不存在的局", "--password-stdin"],
         "long-enough-pw\n", "不存在"),
        (["users", "add", "b", "--role", "dept_head", "--password-stdin"], "long-enough-pw\n",
         "须指定所属部门"),
        (["users", "add", "c", "--role", "auditor", "--password-stdin"], "short\n", "至少 12 个字符"),
        (["users", "add", "d", "--role", "auditor"], "", "--password-stdin"),
    ]
    for args, stdin, words in cases:
        result = runner.invoke(args=args, input=stdin)
        assert result.exit_code != 0, args
        assert words in result.output, result.output
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_demo_is_idempotent_and_prints_logins(runner, session):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "office" in first.output and "safeloop-demo" in first.output
    n_cases = session.scalar(select(func.count()).select_from(Case))
    assert n_cases >= 3
    session.rollback()  # end the read: on SQLite an open transaction holds the write lock
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Case)) == n_cases
    roles = set(session.scalars(select(User.role)))
    assert roles == {"dept_officer", "dept_head", "office_staff", "office_director", "inspector",
                     "auditor", "discipline", "leader", "admin"}
    verify = runner.invoke(args=["audit", "verify"])
    assert verify.exit_code == 0


def test_a_missing_service_fails_in_ci_and_skips_elsewhere(monkeypatch):
    import pytest

    from tests.conftest import missing_service

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must provide"):
        missing_service("no Redis")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="no Redis"):
        missing_service("no Redis")
