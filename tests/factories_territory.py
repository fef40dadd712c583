"""A town with two villages and a grid, their users, and enterprises with real-format codes."""
from __future__ import annotations

import pytest

from workflow.enterprises.credit_code import make_code
from workflow.enterprises.models import Enterprise

# 登记管理部门 9 (工商) + 类别 1 (企业), 武进区 320412, a 9-character organisation code
CODES = [make_code("91", "320412", body) for body in (
    "MA1MXK3L6", "MA20T3Y77", "134781366", "250835118", "MA1P4Q5W2", "7964221X5")]


class Territory:
    def __init__(self, world):
        self.world = world
        w = world
        self.town = w.department("湖塘镇", kind="town")
        self.village = w.department("湖塘镇马杭村", kind="village")
        self.village.parent_id = self.town.id
        self.neighbour = w.department("湖塘镇城南社区", kind="village")
        self.neighbour.parent_id = self.town.id
        self.grid = w.department("马杭村第三网格", kind="grid")
        self.grid.parent_id = self.village.id
        for key, role, unit, name in (
                ("town_officer", "dept_officer", self.town, "湖塘镇安监办钱科员"),
                ("town_head", "dept_head", self.town, "湖塘镇安监办孙主任"),
                ("village_officer", "dept_officer", self.village, "马杭村周主任"),
                ("village_head", "dept_head", self.village, "马杭村吴书记"),
                ("neighbour_head", "dept_head", self.neighbour, "城南社区郑书记"),
                ("grid_officer", "dept_officer", self.grid, "第三网格冯网格员"),
                ("grid_head", "dept_head", self.grid, "第三网格陈网格长")):
            w.users[key] = w.user(role, unit, name)
        w.session.commit()

    def enterprise(self, name="常州市武进区马杭精密五金厂", code=None, unit=None, **kw):
        ent = Enterprise(name=name, credit_code=code or CODES[0],
                         unit_id=(unit or self.village).id, industry=kw.pop("industry", "工贸"),
                         **kw)
        self.world.session.add(ent)
        self.world.session.commit()
        return ent


@pytest.fixture
def territory(world) -> Territory:
    return Territory(world)
