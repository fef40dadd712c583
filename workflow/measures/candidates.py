"""The 约谈建议名单 and turning one of its lines into a 约谈 in one step."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from workflow.core.workdays import WorkCalendar
from workflow.measures import acts
from workflow.measures.models import Measure
from workflow.measures.settings import MeasureSettings
from workflow.org.models import User
from workflow.platform.errors import InvalidInput
from workflow.platform.parsing import parse_id
from workflow.problems.supervision import interview_candidates

DEFAULT_REASON = ("你单位负责整改的下列问题（隐患）逾期30日以上仍未整改销号，经催办、督办仍未落实，"
                  "根据安全生产约谈制度，决定予以约谈。")


def suggestion_list(session: Session, user: User | None = None) -> list[dict]:
    """The 约谈建议名单 (one rule: ``interview_candidates``), each line with the 约谈 already
    under way for that unit, if any."""
    lines = interview_candidates(session, user)
    open_ = acts.open_interviews_by_department(session)
    for line in lines:
        m = open_.get(line["department_id"])
        line["interview"] = ({"id": m.id, "doc_number": m.doc_number, "status": m.status}
                             if m else None)
    return lines


def interview_from_line(session: Session, actor: User, department_id, data: dict, *,
                        settings: MeasureSettings | None = None,
                        calendar: WorkCalendar | None = None,
                        now: datetime | None = None) -> Measure:
    """The director turns a line of the list into a 约谈 of that unit about its cases."""
    department_id = parse_id(department_id, "department_id", "单位")
    line = next((x for x in interview_candidates(session, actor)
                 if x["department_id"] == department_id), None)
    if line is None:
        raise InvalidInput("该单位不在约谈建议名单上", field="department_id")
    fields = {k: v for k, v in data.items() if k in acts.KIND_FIELDS["interview"] | {"content"}}
    fields.setdefault("content", DEFAULT_REASON)
    if not (fields.get("content") or "").strip():
        fields["content"] = DEFAULT_REASON
    return acts.create(session, actor, {"kind": "interview", "department_ids": [department_id],
                                        "case_ids": [c["id"] for c in line["cases"]], **fields},
                       settings=settings, calendar=calendar, now=now)
