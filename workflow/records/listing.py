"""挂牌督办通知书 and 摘牌通知: the documents of an approved listing or delisting."""
from __future__ import annotations

from sqlalchemy.orm import Session

from workflow.core.cases import Case
from workflow.platform.errors import Conflict
from workflow.platform.vocab import GRADES, LISTING_LEVELS
from workflow.problems.listings import ListingRequest
from workflow.problems.supervision import CaseListing
from workflow.records.casedata import DEFAULT_ISSUER, events_of, last_event_at
from workflow.records.render import render_pdf, render_record_html
from workflow.records.stamp import ChainStamp, metadata_for

TITLES = {"list": "挂牌督办通知书", "delist": "摘牌通知"}


def render_listing_notice(session: Session, case: Case, listing: CaseListing, *,
                          issuer: str = DEFAULT_ISSUER, warnings: list | None = None) -> bytes:
    """Render the notice of one approved listing act (Conflict for one recorded from outside)."""
    if listing.request_id is None:
        raise Conflict("该挂牌督办由其他机关决定并登记，本系统不出具通知书（以原文号文件为准）",
                       status=case.status)
    request = session.get(ListingRequest, listing.request_id)
    title = TITLES[listing.action]
    stamp = ChainStamp.of(case)
    as_of = last_event_at(events_of(session, case), case)
    html = render_record_html(
        "records/listing.html", title=title, issuer=issuer, number=listing.document_number,
        case=case, listing=listing, request=request, grade=GRADES.get(case.grade, ""),
        level=LISTING_LEVELS.get(listing.level or "", ""),
        signatures=[("提请人（区安委办主任）", request.proposed_by.display_name if request else "",
                     request.proposed_at if request else None),
                    ("审批人（区领导）", request.decided_by.display_name
                     if request and request.decided_by else "",
                     request.decided_at if request else None)],
        stamp=stamp, as_of=as_of)
    return render_pdf(html, identifier=f"listing:{listing.id}:{stamp.seq}:{stamp.head}",
                      created=as_of, title=f"{title} {listing.document_number}",
                      warnings=warnings, **metadata_for([stamp]))
