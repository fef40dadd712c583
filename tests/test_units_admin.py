"""The 属地 tree is built from the command line and the admin page: kinds and parents."""
from __future__ import annotations

from sqlalchemy import select

from workflow.org.models import Department


def _unit(session, name):
    """(id, kind, parent_id) of the unit, read without keeping SQLite's write lock."""
    session.expire_all()
    unit = session.scalar(select(Department).where(Department.name == name))
    found = (unit.id, unit.kind, unit.parent_id) if unit else None
    session.rollback()
    return found


def test_cli_builds_town_village_grid(runner, session):
    assert runner.invoke(args=["departments", "add", "湖塘镇", "--kind", "town"]).exit_code == 0
    result = runner.invoke(args=["departments", "add", "马杭村", "--kind", "village",
                                 "--parent", "湖塘镇"])
    assert result.exit_code == 0, result.output
    assert "上级：湖塘镇" in result.output
    result = runner.invoke(args=["departments", "add", "马杭村第三网格", "--kind", "grid",
                                 "--parent", "马杭村"])
    assert result.exit_code == 0, result.output
    town, village, grid = (_unit(session, n) for n in ("湖塘镇", "马杭村", "马杭村第三网格"))
    assert village[1:] == ("village", town[0])
    assert grid[1:] == ("grid", village[0])
    # refusals: a village needs a town above it; a grid is not put under a district department
    bad = runner.invoke(args=["departments", "add", "孤村", "--kind", "village"])
    assert bad.exit_code == 1 and "须指定上级" in bad.output
    runner.invoke(args=["departments", "add", "区应急管理局"])
    bad = runner.invoke(args=["departments", "add", "某网格", "--kind", "grid",
                              "--parent", "区应急管理局"])
    assert bad.exit_code == 1 and "不能设在" in bad.output
    assert _unit(session, "孤村") is None and _unit(session, "某网格") is None
    tree = runner.invoke(args=["departments", "tree"]).output
    assert tree.index("湖塘镇") < tree.index("  马杭村") < tree.index("    马杭村第三网格")
    # an existing unit is placed in the tree
    runner.invoke(args=["departments", "add", "城南社区", "--kind", "department"])
    moved = runner.invoke(args=["departments", "place", "城南社区", "--kind", "village",
                                "--parent", "湖塘镇"])
    assert moved.exit_code == 0, moved.output
    assert _unit(session, "城南社区")[2] == town[0]


def test_admin_page_adds_and_places_units(world, pages):
    admin = pages("admin")
    town_id = world.department("雪堰镇", kind="town").id
    other_id = world.other_dept.id
    world.session.commit()
    page = admin.get("/admin/departments")
    assert page.status_code == 200 and 'name="parent_id"' in page.text
    resp = admin.post("/admin/departments", {"name": "雪堰镇城湾村", "kind": "village",
                                             "parent_id": str(town_id)})
    assert resp.status_code == 302
    village = _unit(world.session, "雪堰镇城湾村")
    assert village[2] == town_id
    bad = admin.post("/admin/departments", {"name": "雪堰镇某网格", "kind": "grid",
                                            "parent_id": str(other_id)})
    assert bad.status_code == 400 and "不能设在" in bad.text
    resp = admin.post(f"/admin/departments/{other_id}/place",
                      {"kind": "grid", "parent_id": str(village[0])})
    assert resp.status_code == 302
    assert _unit(world.session, "区住建局")[1:] == ("grid", village[0])
