"""以图销号 checks: flag an "after" photo that was used before or shot before the case existed.

Flags are kept on the evidence row (a JSON list) and shown to the verifier as warnings;
they never refuse anything. ``reused_from:<number>`` compares with photos uploaded
*earlier* on other cases (the later copy is the suspicious one, and a re-check gives the
same answer as the upload did); ``same_as_before`` compares with the same case's 整改前
photos in any order; ``captured_before_registration`` compares the EXIF capture time
with the case's 挂号 time.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.core.cases import Case
from workflow.core.evidence import IMAGE_TYPES, Evidence, Storage
from workflow.core.photo_hash import (
    DEFAULT_MATCH_DISTANCE,
    FLAG_CAPTURED_BEFORE_REGISTRATION,
    FLAG_SAME_AS_BEFORE,
    REUSED_FROM,
    distance,
    examine,
    flag_message,
)


def examine_upload(session: Session, case: Case, ev: Evidence, data: bytes,
                   max_distance: int = DEFAULT_MATCH_DISTANCE) -> dict:
    """Hash a new image, flag it, and return what the upload's audit event should record."""
    if not ev.is_image:
        return {}
    facts = examine(data)
    ev.phash, ev.captured_at = facts.phash, facts.captured_at
    session.flush()  # the row needs its id: only earlier rows count as "used before"
    ev.flags = photo_flags(session, case, ev, max_distance)
    if ev.category == "before" and ev.phash:
        # a 整改前 photo added after the 整改后 ones still exposes an "after" that repeats it
        for after in _after_photos(session, case.id):
            after.flags = photo_flags(session, case, after, max_distance)
    extra = {"phash": ev.phash}
    if ev.captured_at:
        extra["captured_at"] = ev.captured_at.isoformat() + "Z"
    if ev.flags:
        extra["flags"] = ev.flags
    return extra


def photo_flags(session: Session, case: Case, ev: Evidence,
                max_distance: int = DEFAULT_MATCH_DISTANCE) -> list[str]:
    """The flags of one photo, computed from the stored hashes and times."""
    if ev.category != "after":
        return []
    pool = []
    if ev.phash:
        pool = session.execute(
            select(Evidence.id, Evidence.case_id, Evidence.category, Evidence.phash, Case.number)
            .join(Case, Case.id == Evidence.case_id)
            .where(Evidence.phash.is_not(None),
                   (Evidence.case_id == case.id) | (Evidence.id < ev.id))
            .order_by(Evidence.id)).all()
    return _flags(case, ev, pool, max_distance)


def _flags(case: Case, ev: Evidence, pool, max_distance: int) -> list[str]:
    """Flags of an "after" photo against ``pool``: (id, case_id, category, phash, number) rows."""
    flags = []
    if ev.captured_at and case.registered_at and ev.captured_at < case.registered_at:
        flags.append(FLAG_CAPTURED_BEFORE_REGISTRATION)
    if not ev.phash:
        return flags
    same_as_before, numbers = False, []
    for other_id, case_id, category, phash, number in pool:
        if other_id == ev.id:
            continue
        if case_id == case.id:
            if category == "before" and not same_as_before:
                same_as_before = distance(ev.phash, phash) <= max_distance
            continue
        label = number or f"草稿-{case_id}"
        if other_id < ev.id and label not in numbers and distance(ev.phash, phash) <= max_distance:
            numbers.append(label)
    if same_as_before:
        flags.append(FLAG_SAME_AS_BEFORE)
    return flags + [REUSED_FROM + n for n in numbers]


def _after_photos(session: Session, case_id: int) -> list[Evidence]:
    return list(session.scalars(select(Evidence).where(
        Evidence.case_id == case_id, Evidence.category == "after",
        Evidence.content_type.in_(IMAGE_TYPES))
        .order_by(Evidence.id)))


def verify_warnings(session: Session, case: Case) -> list[dict]:
    """The flagged "after" photos of the round under review, as the verifier reads them."""
    rows = session.scalars(select(Evidence).where(
        Evidence.case_id == case.id, Evidence.round == case.round,
        Evidence.category == "after", Evidence.flags_json.is_not(None))
        .order_by(Evidence.id))
    return [{"evidence_id": ev.id, "filename": ev.filename, "flag": flag,
             "message": f"{ev.filename}：{flag_message(flag)}"}
            for ev in rows for flag in ev.flags]


def rehash(session: Session, storage: Storage, *, max_distance: int = DEFAULT_MATCH_DISTANCE,
           everything: bool = False) -> dict:
    """Hash the images that have no hash yet (all with ``everything``), then re-check every flag.

    For databases from before photo hashing, and after changing the match distance.
    """
    counts = {"hashed": 0, "missing": 0, "unreadable": 0, "flagged": 0, "checked": 0}
    stmt = select(Evidence).where(Evidence.content_type.in_(IMAGE_TYPES)).order_by(Evidence.id)
    if not everything:
        stmt = stmt.where(Evidence.phash.is_(None))
    for ev in session.scalars(stmt).all():
        path = storage.path_for(ev.sha256)
        if not path.exists():
            counts["missing"] += 1
            continue
        facts = examine(path.read_bytes())
        ev.phash, ev.captured_at = facts.phash, facts.captured_at
        counts["hashed" if facts.phash else "unreadable"] += 1
    session.flush()
    # one read of every hash, then the comparisons in memory (quadratic, fine for a backfill)
    pool = session.execute(
        select(Evidence.id, Evidence.case_id, Evidence.category, Evidence.phash, Case.number)
        .join(Case, Case.id == Evidence.case_id).where(Evidence.phash.is_not(None))
        .order_by(Evidence.id)).all()
    cases: dict[int, Case] = {}
    for ev in session.scalars(select(Evidence).where(Evidence.category == "after")
                              .order_by(Evidence.id)).all():
        case = cases.get(ev.case_id) or cases.setdefault(ev.case_id, session.get(Case, ev.case_id))
        ev.flags = _flags(case, ev, pool, max_distance)
        counts["checked"] += 1
        counts["flagged"] += bool(ev.flags)
    session.flush()
    return counts
