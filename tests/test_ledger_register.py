"""The full 台账: every new column goes out in ledger.xlsx and comes back in when the file is
imported into an empty database (the units named in it exist there, nothing else)."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import reset_database
from tests.factories import World
from tests.factories_territory import CODES, Territory
from workflow.core.cases import Case
from workflow.enterprises.models import Enterprise
from workflow.platform.base import local_today
from workflow.records.ledger_xlsx import HEADERS

NEW_HEADERS = ["线索类别", "隐患类别", "整改类型", "停产停业情况", "临时管控措施", "实际完成日期",
               "实际投入资金(万元)", "验收人", "验收方式", "验收日期", "监管责任人", "属地单位",
               "是否挂牌", "挂牌层级", "挂牌文号"]
KEPT = ["title", "description", "source", "grade", "found_on", "industry", "responsible_unit",
        "credit_code", "basis", "shutdown", "suspended", "clue_type", "hazard_category",
        "rectification_type", "interim_measures", "completed_on", "actual_funds",
        "acceptance_by", "acceptance_method", "acceptance_on", "supervisor_name", "listed",
        "listing_level", "listing_document"]


def _cases(world, t):
    today = local_today()
    full = world.problem(
        title="粉尘涉爆除尘系统未设置泄爆装置", description="铝镁粉尘除尘器未设置泄爆口",
        grade="major", territorial_unit_id=t.village.id, credit_code=CODES[3],
        responsible_unit="常州市武进区马杭铝制品有限公司", industry="工贸（粉尘涉爆）",
        found_on=(today - timedelta(days=40)).isoformat(),
        basis="《工贸企业重大事故隐患判定标准》（2023）第十二条第（一）项",
        shutdown="partial", clue_type="hazard", hazard_category="object",
        rectification_type="deadline", interim_measures="停用2号除尘系统，设置警戒区",
        completed_on=(today - timedelta(days=2)).isoformat(), actual_funds="8.60",
        acceptance_by="马杭村周主任、企业技术负责人", acceptance_method="现场验收",
        acceptance_on=(today - timedelta(days=1)).isoformat(), supervisor_name="钱科员")
    full.listed, full.listing_level, full.listing_document = True, "town", "湖安委办〔2026〕2号"
    world.session.commit()
    clue = world.problem(title="员工未佩戴防护用品", description="冲压工位员工未佩戴防护手套",
                         grade=None, clue_type="problem", hazard_category="behaviour",
                         rectification_type="immediate", territorial_unit_id=t.grid.id)
    return full, clue


def test_ledger_round_trip_into_empty_database_keeps_every_new_column(client, world, territory,
                                                                      app, session):
    full, clue = _cases(world, territory)
    assert clue.grade is None  # a 问题线索 carries no 一般/重大 grade
    data = client.get("/api/v1/ledger.xlsx", headers=world.headers("office_staff")).data
    ws = load_workbook(io.BytesIO(data))["问题隐患台账"]
    assert [c.value for c in ws[1]][-len(NEW_HEADERS):] == NEW_HEADERS
    row = {h: c.value for h, c in zip(HEADERS, ws[2])}
    assert row["线索类别"] == "隐患线索" and row["隐患类别"] == "物的不安全状态"
    assert row["整改类型"] == "限期整改" and row["停产停业情况"] == "局部停产停业"
    assert row["属地单位"] == "湖塘镇马杭村" and row["是否挂牌"] == "是"
    assert row["挂牌层级"] == "镇（街道）级" and row["挂牌文号"] == "湖安委办〔2026〕2号"
    assert row["实际投入资金(万元)"] == 8.6
    before = {c.title: {f: getattr(c, f) for f in KEPT} | {
        "territorial_unit": c.territorial_unit.name} for c in (full, clue)}
    session.rollback()
    session.expunge_all()

    reset_database(app)  # an empty database: only the units are set up again
    w2 = World(session, app)
    Territory(w2)
    resp = client.post("/api/v1/imports/problems", headers=w2.headers("office_staff"),
                       data={"file": (io.BytesIO(data), "台账.xlsx")},
                       content_type="multipart/form-data")
    assert resp.status_code == 201, resp.json
    session.expire_all()
    copies = {c.title: c for c in session.scalars(select(Case))}
    assert set(copies) == set(before)
    for title, old in before.items():
        new = copies[title]
        for f in KEPT:
            assert getattr(new, f) == old[f], (title, f)
        assert new.territorial_unit.name == old["territorial_unit"]
    assert copies[full.title].actual_funds == Decimal("8.60")
    # the enterprise named by a valid code is registered on the way in, and linked
    ent = session.scalar(select(Enterprise))
    assert ent.credit_code == CODES[3] and copies[full.title].enterprise_id == ent.id
    session.rollback()


def test_old_rows_export_empty_new_columns(client, world):
    world.problem()
    ws = load_workbook(io.BytesIO(client.get(
        "/api/v1/ledger.xlsx", headers=world.headers("office_staff")).data))["问题隐患台账"]
    row = {h: c.value for h, c in zip(HEADERS, ws[2])}
    assert all(row[h] is None for h in NEW_HEADERS if h not in ("停产停业情况", "是否挂牌"))
    assert row["停产停业情况"] == "无" and row["是否挂牌"] == "否"


def test_ledger_pdf_prints_the_new_columns(client, world, territory):
    from tests.factories_records import pdf_text, squash

    full, _clue = _cases(world, territory)
    world.step(full, "register", "office_staff")
    resp = client.get("/api/v1/ledger.pdf", headers=world.headers("office_staff"))
    assert resp.status_code == 200, resp.json
    text = squash(pdf_text(resp.data))
    for expected in ("属地：湖塘镇马杭村", "隐患线索·物的不安全状态·限期整改", "局部停产停业",
                     "临时管控：停用2号除尘系统", "投入8.60万元", "验收马杭村周主任",
                     "监管责任人钱科员", "挂牌（镇（街道）级，湖安委办〔2026〕2号）",
                     "判定依据：《工贸企业重大事故隐患判定标准》（2023）"):
        assert squash(expected) in text, expected
