"""API helpers for the problem-case tests: fire steps, upload, run the sweep, read messages."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest

from tests.factories import png_bytes
from workflow.platform.base import local_today

# the old 五落实 boxes, still accepted as aliases of the six elements
OLD_PLAN = {"responsibility": "赵局长负总责", "measures": "更换报警器并联动测试", "funds": "5万元",
            "time_limit": "30日内", "contingency": "泄漏应急预案"}
# 治理方案 of a 重大事故隐患, the six elements of 16号令第十五条
PLAN = {"objectives": "消除储罐区可燃气体泄漏无报警隐患", "measures": "更换报警器并联动测试",
        "funds_materials": "5万元，报警器8台已采购", "organisation": "设备科，赵局长负总责",
        "time_requirements": "30日内完成", "safety_contingency": "治理期间停用储罐区；泄漏应急预案"}


class Api:
    """Calls the JSON API as a named user of the ``world`` fixture."""

    def __init__(self, client, world, runner):
        self.client, self.world, self.runner = client, world, runner

    def get(self, path: str, who: str, **kw):
        return self.client.get(f"/api/v1{path}", headers=self.world.headers(who), **kw)

    def post(self, path: str, who: str, body: dict | None = None):
        return self.client.post(f"/api/v1{path}", json=body if body is not None else {},
                                headers=self.world.headers(who))

    def case(self, case_id: int, who: str = "auditor") -> dict:
        return self.get(f"/cases/{case_id}", who).json

    def create(self, who: str = "inspector", **over):
        body = {"title": "危化品仓库超量储存", "description": "仓库内储存量超过设计能力",
                "source": "巡查发现", "grade": "一般", "department_id": self.world.dept.id,
                "deadline": (local_today() + timedelta(days=30)).isoformat(), **over}
        return self.post("/cases", who, body)

    def fire(self, case_id: int, trigger: str, who: str, **body):
        version = self.case(case_id, who)["version"]
        return self.post(f"/cases/{case_id}/transitions", who,
                         {"trigger": trigger, "version": version, **body})

    def upload(self, case_id: int, who: str = "dept_officer", color=(0, 120, 0),
               category: str = "after"):
        return self.client.post(f"/api/v1/cases/{case_id}/evidence",
                                data={"file": (io.BytesIO(png_bytes(color)), f"{category}.png"),
                                      "category": category},
                                headers=self.world.headers(who),
                                content_type="multipart/form-data")

    def put_plan(self, case_id: int, plan: dict, who: str = "dept_officer",
                 signed: bytes | None = None):
        """PUT the 治理方案; with ``signed``, as multipart with the signed copy."""
        if signed is None:
            return self.client.put(f"/api/v1/cases/{case_id}/plan", json=plan,
                                   headers=self.world.headers(who))
        return self.client.put(f"/api/v1/cases/{case_id}/plan",
                               data={**plan, "signed_copy": (io.BytesIO(signed), "签批件.png")},
                               headers=self.world.headers(who), content_type="multipart/form-data")

    def events(self, case_id: int) -> list[dict]:
        return self.get(f"/cases/{case_id}/events", "auditor").json["items"]

    def actions(self, case_id: int) -> list[str]:
        return [e["action"] for e in self.events(case_id)]

    def notes(self, who: str, limit: int = 200) -> dict:
        return self.get(f"/notifications?limit={limit}", who).json

    def sweep(self, today: date | None = None):
        args = ["sweep"] + (["--today", today.isoformat()] if today else [])
        result = self.runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        return result

    def registered(self, **over) -> int:
        """A problem registered and accepted: in_progress in the world's department."""
        resp = self.create(**over)
        assert resp.status_code == 201, resp.json
        cid = resp.json["id"]
        assert self.fire(cid, "register", "office_staff").status_code == 200
        assert self.fire(cid, "accept", "dept_officer").status_code == 200
        return cid


@pytest.fixture
def api(client, world, runner) -> Api:
    return Api(client, world, runner)
