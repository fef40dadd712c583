"""The 名录 import (all or nothing, rows named), find-or-propose on registration, and who may
write the register."""
from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import func, select

from tests.factories_territory import CODES
from workflow.enterprises.models import Enterprise

HEADER = ["单位名称", "统一社会信用代码", "行业类别", "属地", "地址", "法定代表人", "规模以上",
          "重点监管"]


def book(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["湖塘镇生产经营单位名录"])
    ws.append(HEADER)
    for r in rows:
        ws.append(list(r))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, world, data, who="office_staff", **form):
    return client.post("/api/v1/enterprises/import", headers=world.headers(who),
                       data={"file": (io.BytesIO(data), "名录.xlsx"), **form},
                       content_type="multipart/form-data")


def count(session):
    n = session.scalar(select(func.count()).select_from(Enterprise))
    session.rollback()
    return n


def test_import_all_or_nothing_naming_rows(client, world, territory, session):
    bad_code = CODES[1][:17] + ("0" if CODES[1][17] != "0" else "1")
    rows = [("常州甲五金厂", CODES[0], "机械", "湖塘镇马杭村", "马杭工业园1号", "甲", "是", "否"),
            ("常州乙化工", bad_code, "危险化学品", "湖塘镇马杭村", None, None, "否", "是"),
            ("常州丙纺织", CODES[2], "纺织", "不存在的村", None, None, "否", "否"),
            ("常州丁物流", CODES[0], "交通运输", "湖塘镇", None, None, "否", "否")]
    resp = upload(client, world, book(rows))
    assert resp.status_code == 422, resp.json
    errors = {(e["row"], e["field"]) for e in resp.json["errors"]}
    assert errors == {(4, "credit_code"), (5, "unit_id"), (6, "credit_code")}
    assert any("credit_code_invalid" in e["text"] for e in resp.json["errors"])
    assert count(session) == 0
    good = [rows[0], ("常州乙化工", CODES[1], "危险化学品", "马杭村第三网格", None, None, "否", "是")]
    preview = upload(client, world, book(good), dry_run="true")
    assert preview.status_code == 200 and count(session) == 0
    resp = upload(client, world, book(good))
    assert resp.status_code == 201 and resp.json["created"] == 2
    rows = {e.credit_code: e for e in session.scalars(select(Enterprise))}
    assert rows[CODES[0]].above_scale and rows[CODES[1]].key_supervision
    assert rows[CODES[1]].unit_id == territory.grid.id
    session.rollback()
    assert upload(client, world, book(good), who="dept_head").status_code == 403


def test_registering_by_credit_code_finds_or_proposes(client, world, territory):
    t = territory
    ent = t.enterprise()
    base = {"title": "配电箱未接地", "description": "配电箱外壳未接地", "source": "patrol",
            "grade": "general", "department_id": world.dept.id, "deadline": "2099-01-01"}
    found = client.post("/api/v1/cases", headers=world.headers("inspector"),
                        json={**base, "credit_code": ent.credit_code.lower()}).json
    assert found["enterprise_id"] == ent.id and found["responsible_unit"] == ent.name
    assert found["territorial_unit_id"] == t.village.id and "enterprise_proposal" not in found
    new = client.post("/api/v1/cases", headers=world.headers("inspector"),
                      json={**base, "credit_code": CODES[5], "responsible_unit": "常州某新厂",
                            "territorial_unit_id": t.grid.id}).json
    assert new["enterprise_id"] is None
    assert new["enterprise_proposal"] == {"name": "常州某新厂", "credit_code": CODES[5],
                                          "industry": None, "unit_id": t.grid.id, "address": None}
    made = client.post("/api/v1/enterprises", headers=world.headers("town_officer"),
                       json={k: v for k, v in new["enterprise_proposal"].items() if v is not None})
    assert made.status_code == 201
    # a department user reads the register, an administrator does not write it
    assert client.get("/api/v1/enterprises", headers=world.headers("village_head")).status_code == 200
    assert client.post("/api/v1/enterprises", headers=world.headers("admin"),
                       json={"name": "x", "credit_code": CODES[4]}).status_code == 403
    # a clue that is a 问题线索 needs no grade; a hazard does
    no_grade = {k: v for k, v in base.items() if k != "grade"}
    assert client.post("/api/v1/cases", headers=world.headers("inspector"),
                       json={**no_grade, "clue_type": "problem"}).status_code == 201
    refused = client.post("/api/v1/cases", headers=world.headers("inspector"),
                          json={**no_grade, "clue_type": "hazard"})
    assert refused.status_code == 400 and refused.json["field"] == "grade"
