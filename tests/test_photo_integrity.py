"""以图销号: an "after" photo used before, or shot before the case existed, is shown to the verifier.

Every photo is built here with Pillow (a gradient, shapes and seeded noise, saved as JPEG),
so the checks run on real image files through the real upload path.
"""
from __future__ import annotations

import io
import random
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select, update

from workflow.core.audit import AuditEvent, verify_all
from workflow.core.evidence import Evidence
from workflow.core.photo_hash import DEFAULT_MATCH_DISTANCE, distance, examine
from workflow.platform.base import to_local

SIZE = (640, 480)


def scene(background_seed: int, shapes_seed: int | None = None, size=SIZE) -> Image.Image:
    """A photo-like picture: sky-to-ground gradient, coloured blocks, grain.

    The background and the palette come from ``background_seed``; where the blocks stand
    comes from ``shapes_seed``: two scenes with the same background and different shapes
    look alike at a glance (the same kind of place), yet are different photos.
    """
    rnd = random.Random(background_seed)
    top, bottom = (tuple(rnd.randint(60, 220) for _ in range(3)) for _ in range(2))
    ramp = Image.linear_gradient("L").resize(size)
    img = Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), ramp)
    palette = [tuple(rnd.randint(0, 255) for _ in range(3)) for _ in range(10)]
    place = random.Random(background_seed if shapes_seed is None else shapes_seed)
    draw = ImageDraw.Draw(img)
    w, h = size
    for i, colour in enumerate(palette):
        x, y = place.randint(0, w - 60), place.randint(0, h - 60)
        box = [x, y, x + place.randint(40, w // 2), y + place.randint(40, h // 2)]
        (draw.rectangle if i % 2 else draw.ellipse)(box, fill=colour)
    grain = Image.frombytes("L", size, random.Random(7).randbytes(w * h)).convert("RGB")
    return Image.blend(img, grain, 0.12)


def jpeg(img: Image.Image, quality: int = 90, exif: Image.Exif | None = None) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality, **({"exif": exif} if exif is not None else {}))
    return buf.getvalue()


def reencoded(data: bytes, quality: int, scale: float) -> bytes:
    """The same photo saved again at another quality and size (what a re-upload looks like)."""
    img = Image.open(io.BytesIO(data))
    return jpeg(img.resize((int(img.width * scale), int(img.height * scale))), quality)


def shot_at(img: Image.Image, local_time: str) -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = local_time  # DateTimeOriginal, camera local time
    return jpeg(img, exif=exif)


def upload(client, world, case, data: bytes, category: str, name: str, who="dept_officer"):
    resp = client.post(f"/api/v1/cases/{case.id}/evidence", headers=world.headers(who),
                       data={"file": (io.BytesIO(data), name), "category": category},
                       content_type="multipart/form-data")
    assert resp.status_code == 201, resp.json
    return resp.json


def report(client, world, case):
    version = client.get(f"/api/v1/cases/{case.id}", headers=world.headers("dept_head")).json["version"]
    resp = client.post(f"/api/v1/cases/{case.id}/transitions", headers=world.headers("dept_head"),
                       json={"trigger": "report", "version": version, "statement": "已整改"})
    assert resp.status_code == 200, resp.json


def verify_action(client, world, case) -> dict:
    body = client.get(f"/api/v1/cases/{case.id}", headers=world.headers("office_staff")).json
    return next(a for a in body["actions"] if a["trigger"] == "verify")


# --- the facts of one photo ------------------------------------------------------------

def test_examine_hashes_photos_and_reads_the_capture_time():
    photo = jpeg(scene(1))
    facts = examine(photo)
    assert facts.phash and len(facts.phash) == 16 and facts.captured_at is None
    # Beijing time without a zone → UTC; with OffsetTimeOriginal that zone counts
    assert examine(shot_at(scene(1), "2020:05:01 10:00:00")).captured_at.isoformat() == \
        "2020-05-01T02:00:00"
    exif = Image.Exif()
    exif.get_ifd(0x8769).update({0x9003: "2020:05:01 10:00:00", 0x9011: "+02:00"})
    assert examine(jpeg(scene(1), exif=exif)).captured_at.isoformat() == "2020-05-01T08:00:00"
    assert examine(shot_at(scene(1), "0000:00:00 00:00:00")).captured_at is None
    # a flat frame has no picture to compare; broken bytes are simply not hashed
    assert examine(jpeg(Image.new("RGB", SIZE, (90, 90, 90)))).phash is None
    assert examine(b"\xff\xd8\xff" + bytes(100)).phash is None
    examine(photo[: len(photo) // 3])  # truncated: hashed from what is there, or not; never raises
    assert examine(b"%PDF-1.4 not an image") == examine(b"")


def test_the_match_distance_separates_copies_from_other_photos():
    """The figures behind PHOTO_MATCH_DISTANCE = 6 (bench/photo_hash.py prints more)."""
    original = jpeg(scene(3))
    copies = [reencoded(original, q, s) for q, s in ((40, 0.5), (60, 0.75), (95, 1.3))]
    others = [jpeg(scene(3, shapes_seed=s)) for s in (101, 102, 103)] + [jpeg(scene(4))]
    h = examine(original).phash
    assert max(distance(h, examine(c).phash) for c in copies) <= 2
    assert min(distance(h, examine(o).phash) for o in others) >= 3 * DEFAULT_MATCH_DISTANCE // 2


# --- across cases, within a case -------------------------------------------------------

def test_a_reencoded_resized_copy_is_caught_on_another_case(client, world):
    first, second = world.case_at("in_progress"), world.case_at("in_progress")
    original = jpeg(scene(11), quality=92)
    ev1 = upload(client, world, first, original, "after", "整改后.jpg")
    ev2 = upload(client, world, second, reencoded(original, quality=55, scale=0.6), "after",
                 "现场照片.jpg")
    assert ev1["flags"] == [] and ev1["phash"]
    assert ev2["flags"] == [f"reused_from:{first.number}"]
    listed = client.get(f"/api/v1/cases/{second.id}/evidence",
                        headers=world.headers("office_staff")).json["items"]
    assert listed[0]["flags"] == [f"reused_from:{first.number}"]
    # the chain of the upload keeps the hash and the flag
    event = client.get(f"/api/v1/cases/{second.id}/events",
                       headers=world.headers("office_staff")).json["items"][-1]
    assert event["payload"]["flags"] == ev2["flags"] and event["payload"]["phash"] == ev2["phash"]


def test_a_different_photo_of_a_similar_scene_is_not_caught(client, world):
    first, second = world.case_at("in_progress"), world.case_at("in_progress")
    upload(client, world, first, jpeg(scene(21, shapes_seed=1)), "after", "a.jpg")
    ev = upload(client, world, second, jpeg(scene(21, shapes_seed=2)), "after", "b.jpg")
    assert ev["flags"] == []


def test_the_before_photo_again_as_after_is_caught_in_either_order(client, world):
    case = world.case_at("in_progress")
    before = jpeg(scene(31))
    upload(client, world, case, before, "before", "整改前.jpg")
    ev = upload(client, world, case, reencoded(before, 70, 0.8), "after", "整改后.jpg")
    assert ev["flags"] == ["same_as_before"]
    assert upload(client, world, case, jpeg(scene(32)), "after", "另一张.jpg")["flags"] == []

    # the "after" first, the matching "before" later: the "after" is flagged then
    other = world.case_at("in_progress")
    after = upload(client, world, other, jpeg(scene(33)), "after", "整改后.jpg")
    assert after["flags"] == []
    upload(client, world, other, reencoded(jpeg(scene(33)), 80, 0.5), "before", "整改前.jpg")
    items = client.get(f"/api/v1/cases/{other.id}/evidence",
                       headers=world.headers("office_staff")).json["items"]
    assert [e["flags"] for e in items if e["id"] == after["id"]] == [["same_as_before"]]


def test_an_after_photo_shot_before_registration_is_flagged(client, world, session):
    case = world.case_at("in_progress")
    registered = to_local(case.registered_at)
    early = (registered - timedelta(days=1)).strftime("%Y:%m:%d %H:%M:%S")
    later = (registered + timedelta(hours=2)).strftime("%Y:%m:%d %H:%M:%S")
    ev = upload(client, world, case, shot_at(scene(41), early), "after", "旧照片.jpg")
    assert ev["flags"] == ["captured_before_registration"]
    shot = case.registered_at.replace(microsecond=0) - timedelta(days=1)
    assert ev["captured_at"] == shot.isoformat(timespec="microseconds") + "Z"  # UTC
    assert upload(client, world, case, shot_at(scene(42), later), "after", "新照片.jpg")["flags"] == []
    # a 整改前 photo may well be older than the case: only "after" photos are judged
    assert upload(client, world, case, shot_at(scene(43), early), "before", "前.jpg")["flags"] == []


def test_files_that_are_not_photos_carry_no_hash(client, world):
    case = world.case_at("in_progress")
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    ev = upload(client, world, case, pdf, "after", "报告.pdf")
    assert ev["phash"] is None and ev["flags"] == [] and ev["captured_at"] is None


# --- what the verifier sees and what the chain keeps ------------------------------------

def test_the_verifier_sees_the_warning_and_the_chain_keeps_it(client, world, pages, session):
    first, second = world.case_at("in_progress"), world.case_at("in_progress")
    original = jpeg(scene(51))
    upload(client, world, first, original, "after", "整改后.jpg")
    registered = to_local(second.registered_at)
    copy = Image.open(io.BytesIO(reencoded(original, 60, 0.7)))
    upload(client, world, second, shot_at(copy, (registered - timedelta(days=3))
                                          .strftime("%Y:%m:%d %H:%M:%S")), "after", "现场.jpg")
    report(client, world, second)

    action = verify_action(client, world, second)
    assert action["allowed"] is True  # a warning, not a refusal
    assert [w["flag"] for w in action["warnings"]] == ["captured_before_registration",
                                                       f"reused_from:{first.number}"]
    assert action["warnings"][1]["message"] == f"现场.jpg：疑似重复使用：与 {first.number} 的照片相同"

    page = pages("office_staff").get(f"/cases/{second.id}").text
    assert f"疑似重复使用：与 {first.number} 的照片相同" in page
    assert "拍摄时间早于挂号" in page and "拍摄于" in page and "上传于" in page
    assert "data-photo-warnings" in page and "核查通过时，以上提示将记入审计链" in page

    version = client.get(f"/api/v1/cases/{second.id}",
                         headers=world.headers("office_staff")).json["version"]
    resp = client.post(f"/api/v1/cases/{second.id}/transitions",
                       headers=world.headers("office_staff"),
                       json={"trigger": "verify", "version": version, "comment": "已现场复核"})
    assert resp.status_code == 200 and resp.json["status"] == "verified"
    event = session.scalars(select(AuditEvent).where(AuditEvent.case_id == second.id,
                                                     AuditEvent.action == "verify")).one()
    assert event.payload["warnings"] == action["warnings"]
    session.rollback()
    assert all(r.ok for r in verify_all(session))
    timeline = pages("office_staff").get(f"/cases/{second.id}").text
    assert "核查时的照片提示" in timeline


def test_a_clean_case_verifies_without_warnings(client, world):
    case = world.case_at("in_progress")
    upload(client, world, case, jpeg(scene(61)), "after", "整改后.jpg")
    report(client, world, case)
    assert verify_action(client, world, case)["warnings"] == []


# --- older rows --------------------------------------------------------------------------

def test_rehash_fills_rows_from_before_photo_hashing(client, world, session, runner):
    first, second = world.case_at("in_progress"), world.case_at("in_progress")
    original = jpeg(scene(71))
    upload(client, world, first, original, "after", "a.jpg")
    expected = upload(client, world, second, reencoded(original, 50, 0.5), "after", "b.jpg")
    # as the migration leaves them: no hash, no time, no flags
    session.execute(update(Evidence).values(phash=None, captured_at=None, flags_json=None))
    session.commit()
    result = runner.invoke(args=["evidence", "rehash"])
    assert result.exit_code == 0, result.output
    assert "已计算 2 张照片的感知哈希" in result.output and "其中 1 份有提示" in result.output
    session.expire_all()
    row = session.get(Evidence, expected["id"])
    assert row.phash == expected["phash"] and row.flags == [f"reused_from:{first.number}"]
    session.rollback()
    # a second run has nothing left to hash and finds the same flags
    again = runner.invoke(args=["evidence", "rehash"])
    assert "已计算 0 张照片" in again.output and "其中 1 份有提示" in again.output
