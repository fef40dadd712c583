"""Building blocks for 监督举报 tests: a complaint case, 核实材料, a 答复."""
from __future__ import annotations

from tests.factories import png_bytes
from workflow.core import service
from workflow.platform.base import local_today
from workflow.problems import complaints

REPORTER = {"reporter_name": "张三丰", "reporter_contact": "13812341234"}


def complaint_at(world, status: str, **kw):
    """A 举报 (source complaint, with a reporter) driven to ``status``."""
    return world.case_at(status, source="complaint", **{**REPORTER, **kw})


def verification_file(world, case, who="office_staff", color=(10, 120, 200)):
    ev = complaints.upload_verification_file(
        world.session, case.id, world.users[who], data=png_bytes(color), filename="核实照片.png",
        note="现场核实", settings=service.Settings.from_config(world.app.config))
    world.session.commit()
    return ev


def reply(world, case, who="office_staff"):
    row = complaints.add_reply(world.session, case.id, world.users[who], replied_on=local_today(),
                               channel="phone", content="已电话告知举报人核实结果")
    world.session.commit()
    return row
