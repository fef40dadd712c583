"""Factory fixtures: departments, users with tokens, cases at any status."""
from __future__ import annotations

import io
import itertools
from datetime import date, timedelta

import pytest
from PIL import Image

from workflow.core import service
from workflow.org.auth import hash_password, issue_token
from workflow.org.models import Department, User
from workflow.platform.base import local_today
from workflow.problems.registration import create_problem

PASSWORD = "correct-horse-9"
_HASH = hash_password(PASSWORD)  # scrypt once per run, not once per user
_seq = itertools.count(1)

# The legal path from draft to each status, with the role that takes each step
PATH = [("register", "office_staff", "assigned"), ("accept", "dept_officer", "in_progress"),
        ("report", "dept_head", "reported"), ("verify", "office_staff", "verified"),
        ("close", "office_director", "closed")]


def png_bytes(color=(200, 30, 30), size=(32, 24)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


class World:
    """A small district: the office, two departments and a user per role."""

    def __init__(self, session, app):
        self.session = session
        self.app = app
        self.office = self.department("区安委办", kind="office")
        self.dept = self.department("区应急管理局")
        self.other_dept = self.department("区住建局")
        self.users = {
            "office_staff": self.user("office_staff", self.office, "王经办"),
            "office_staff2": self.user("office_staff", self.office, "钱经办"),
            "office_director": self.user("office_director", self.office, "李主任"),
            "dept_officer": self.user("dept_officer", self.dept, "张联络员"),
            "dept_head": self.user("dept_head", self.dept, "赵局长"),
            "other_officer": self.user("dept_officer", self.other_dept, "陈联络员"),
            "other_head": self.user("dept_head", self.other_dept, "周局长"),
            "inspector": self.user("inspector", None, "孙检查员"),
            "auditor": self.user("auditor", None, "吴审计"),
            "discipline": self.user("discipline", None, "冯纪检"),
            "leader": self.user("leader", None, "郑区长"),
            "admin": self.user("admin", None, "管理员"),
        }
        session.commit()
        self._tokens: dict[str, str] = {}

    def department(self, name: str, kind: str = "department") -> Department:
        dept = Department(name=name, kind=kind)
        self.session.add(dept)
        self.session.flush()
        return dept

    def user(self, role: str, department, display: str, username: str | None = None) -> User:
        user = User(username=username or f"{role}{next(_seq)}", display_name=display, role=role,
                    department=department, password_hash=_HASH)
        self.session.add(user)
        self.session.flush()
        return user

    def headers(self, who: str) -> dict:
        if who not in self._tokens:
            self._tokens[who] = issue_token(self.session, self.users[who], 1)
            self.session.commit()
        return {"Authorization": f"Bearer {self._tokens[who]}"}

    def problem(self, *, grade="general", source="patrol", department=None, by="inspector",
                deadline: date | None = None, **extra):
        fields = {"title": "储罐区可燃气体报警器失效", "description": "巡查发现报警器不能正常报警",
                  "source": source, "grade": grade,
                  "department_id": (department or self.dept).id,
                  "deadline": (deadline or local_today() + timedelta(days=30)).isoformat(),
                  **extra}
        case = create_problem(self.session, self.users[by], fields)
        self.session.commit()
        return case

    def evidence(self, case, who="dept_officer", data: bytes | None = None, name="after.png",
                 category="after"):
        ev = service.upload_evidence(self.session, case.id, self.users[who], data=data or png_bytes(),
                                     filename=name, category=category,
                                     settings=service.Settings.from_config(self.app.config))
        self.session.commit()
        return ev

    def step(self, case, trigger, who, comment=None, **data):
        service.transition(self.session, case.id, trigger, self.users[who], version=case.version,
                           comment=comment, data=data,
                           settings=service.Settings.from_config(self.app.config))
        self.session.commit()
        return case

    def case_at(self, status: str, **kw):
        """A case driven along the legal path up to ``status``."""
        case = self.problem(**kw)
        if status == "draft":
            return case
        for trigger, who, reached in PATH:
            if trigger == "report":
                self.evidence(case)
                if case.is_major:
                    service.set_plan(self.session, case.id, self.users["dept_officer"], {
                        "objectives": "消除报警器失效隐患", "responsibility": "赵局长负总责",
                        "measures": "更换报警器", "funds": "5万元", "time_limit": "30日内",
                        "contingency": "泄漏应急预案"}, signed_copy=(png_bytes((1, 1, 1)), "签批件.png"),
                        settings=service.Settings.from_config(self.app.config))
                    self.evidence(case, data=png_bytes((2, 2, 2)), name="验收报告.png",
                                  category="acceptance_report")
                    self.session.commit()
                self.step(case, "report", who, statement="已更换全部报警器并联动测试")
            elif trigger == "verify" and case.is_major:
                service.add_onsite_verification(self.session, case.id, self.users["inspector"],
                                                visited_on=local_today(),
                                                verifiers=["孙检查员（执法队员）", "钱经办（经办人）"],
                                                findings="已整改到位")
                self.session.commit()
                self.step(case, trigger, who)
            else:
                self.step(case, trigger, who)
            if reached == status:
                return case
        raise ValueError(status)


@pytest.fixture
def world(session, app) -> World:
    return World(session, app)
