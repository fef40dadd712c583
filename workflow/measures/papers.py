"""The papers of 督办措施 (PDF): 督办函, 约谈通知书, 约谈纪要, 通报, 问责移交函, and the
referral's zip of the case's chain and records."""
from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy.orm import Session

from workflow.core.evidence import Storage
from workflow.measures.acts import scheduled_at
from workflow.measures.models import Measure
from workflow.platform.base import SHANGHAI, iso_utc
from workflow.platform.errors import Conflict, NotFound
from workflow.records.casedata import DEFAULT_ISSUER, events_of
from workflow.records.closure import render_closure_report
from workflow.records.render import render_pdf, render_record_html

# paper → (kinds it belongs to, template, title)
PAPERS = {
    "letter": ("letter", "records/measure_letter.html", "督办函"),
    "notice": ("interview", "records/measure_interview_notice.html", "约谈通知书"),
    "minutes": ("interview", "records/measure_interview_minutes.html", "约谈纪要"),
    "bulletin": ("bulletin", "records/measure_bulletin.html", "通报"),
    "referral": ("referral", "records/measure_referral.html", "问责线索移交函"),
}
MAIN_PAPER = {"letter": "letter", "interview": "notice", "bulletin": "bulletin",
              "referral": "referral"}


def papers_of(measure: Measure) -> list[str]:
    """The papers a measure prints now (the 纪要 once recorded)."""
    names = [MAIN_PAPER[measure.kind]]
    if measure.kind == "interview" and measure.step("minutes"):
        names.append("minutes")
    return names


def paper_title(measure: Measure, paper: str) -> str:
    if paper == "bulletin":
        return "通报批评" if measure.details.get("tone") == "criticism" else "通报表扬"
    return PAPERS[paper][2]


def render_paper(session: Session, measure: Measure, paper: str | None = None, *,
                 issuer: str = DEFAULT_ISSUER) -> tuple[bytes, str]:
    """The PDF of one paper of ``measure`` and its file title (404: no such paper for the
    kind; 409: not yet, e.g. the 纪要 before the 约谈 is held)."""
    paper = paper or MAIN_PAPER[measure.kind]
    if paper not in PAPERS or PAPERS[paper][0] != measure.kind:
        raise NotFound(f"该{measure.kind_label}没有此文书（{paper}）")
    minutes = measure.step("minutes")
    if paper == "minutes" and minutes is None:
        raise Conflict("约谈尚未记录纪要，暂无约谈纪要", status=measure.status)
    when = scheduled_at(measure)
    title = paper_title(measure, paper)
    html = render_record_html(PAPERS[paper][1], title=title, issuer=issuer, measure=measure,
                              minutes=minutes,
                              when=when.replace(tzinfo=SHANGHAI) if when else None)
    created = measure.updated_at
    pdf = render_pdf(html, identifier=f"measure:{measure.id}:{paper}:{iso_utc(created)}",
                     created=created, title=f"{title} {measure.doc_number}")
    return pdf, f"{title}-{measure.doc_number}"


def referral_dossier(session: Session, measure: Measure, *, storage: Storage | None,
                     issuer: str = DEFAULT_ISSUER) -> bytes:
    """The zip handed to the 纪检监察 with a 问责移交: the 移交函, and per case its 整改销号审批表
    (with the chain check printed on it), its full audit record (JSON) and its files' list."""
    if measure.kind != "referral":
        raise NotFound("只有问责移交附有材料包")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        pdf, name = render_paper(session, measure, "referral", issuer=issuer)
        zf.writestr(f"{name}.pdf", pdf)
        for case in measure.cases:
            folder = case.display_number
            zf.writestr(f"{folder}/整改销号审批表.pdf",
                        render_closure_report(session, case, storage=storage, issuer=issuer))
            events = [ev.to_dict() for ev in events_of(session, case)]
            zf.writestr(f"{folder}/全过程记录.json",
                        json.dumps({"case": case.to_dict(), "events": events},
                                   ensure_ascii=False, indent=1, default=str))
    return out.getvalue()
