"""记录核验 refuses hostile uploads with 400 naming the field, and bounds its work."""
from __future__ import annotations

import io
import json
import time

from pypdf import PdfWriter

from tests.factories_records import login
from workflow.records.stamp import RefusedRecord, read_stamps


def minimal_pdf(objects: list[bytes], trailer: bytes = b"", size: int | None = None) -> bytes:
    """A hand-written PDF: catalog, page tree, one page, then ``objects``."""
    body = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>", *objects]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for i, obj in enumerate(body, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(body) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R " % (size or len(body) + 1) + trailer
              + b">>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


# AES-256 (V5/R6): pypdf needs the cryptography package to even try it (it used to answer 500)
AES_ENCRYPTED = minimal_pdf(
    [b"<< /Filter /Standard /V 5 /R 6 /Length 256 /CF << /StdCF << /CFM /AESV3 /AuthEvent "
     b"/DocOpen /Length 32 >> >> /StmF /StdCF /StrF /StdCF /O <" + b"00" * 48 + b"> /U <"
     + b"00" * 48 + b"> /OE <" + b"00" * 32 + b"> /UE <" + b"00" * 32 + b"> /P -4 /Perms <"
     + b"00" * 16 + b"> >>"], b"/Encrypt 4 0 R /ID [<00> <00>] ")
RC4_ENCRYPTED = minimal_pdf(
    [b"<< /Filter /Standard /V 2 /R 3 /Length 128 /O <" + b"00" * 32 + b"> /U <" + b"00" * 32
     + b"> /P -4 >>"], b"/Encrypt 4 0 R /ID [<00> <00>] ")
# a cross-reference table declaring 10^11 entries (it used to answer 500: LimitReachedError)
HUGE_XREF = (b"%PDF-1.7\nxref\n0 99999999999\ntrailer << /Size 99999999999 >>\n"
             b"startxref\n9\n%%EOF")


def post(client, world, data: bytes, who="auditor"):
    return client.post("/api/v1/records/verify", headers=world.headers(who),
                       data={"file": (io.BytesIO(data), "r.pdf")},
                       content_type="multipart/form-data")


def stamped(cases: list[dict]) -> bytes:
    """A small PDF carrying ``cases`` as its chain metadata (small: the test client spools
    bodies over 500 KB to a temporary file it never closes)."""
    writer = PdfWriter(clone_from=io.BytesIO(minimal_pdf([])))
    writer.add_metadata({"/SafeLoopChain": json.dumps({"v": 1, "cases": cases})})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_encrypted_and_huge_xref_uploads_are_400_naming_file(client, world):
    for data in (AES_ENCRYPTED, RC4_ENCRYPTED):
        resp = post(client, world, data)
        assert resp.status_code == 400, resp.data
        assert resp.json["field"] == "file" and "加密" in resp.json["message"]
    resp = post(client, world, HUGE_XREF)
    assert resp.status_code == 400 and resp.json["field"] == "file"
    assert "上限" in resp.json["message"]


def test_other_bad_uploads_stay_unreadable_not_500(client, world):
    for data in (b"", b"%PDF-", b"not a pdf", b"%PDF-1.7\n1 0 obj <<", minimal_pdf([]),
                 minimal_pdf([]).replace(b"/MediaBox [0 0 10 10]",
                                         b"/MediaBox " + b"[" * 20000 + b"]" * 20000),
                 minimal_pdf([], size=10 ** 12)):
        resp = post(client, world, data)
        assert resp.status_code == 422 and resp.json["readable"] is False, data[:40]


def test_too_many_stamps_are_refused_before_checking(app, client, world):
    case = world.case_at("closed")
    one = {"id": case.id, "number": case.number, "seq": case.audit_seq, "head": case.audit_head}
    app.config["VERIFY_MAX_STAMPS"] = 50
    many = stamped([one] + [{**one, "id": None, "number": f"WJ-2020-XX-{i:04d}"}
                                 for i in range(50)])
    resp = post(client, world, many)
    assert resp.status_code == 400 and resp.json["field"] == "file"
    assert "VERIFY_MAX_STAMPS = 50" in resp.json["message"]
    fifty = stamped([one] + [{**one, "id": None, "number": f"WJ-2020-XX-{i:04d}"}
                                  for i in range(49)])
    body = post(client, world, fifty).json
    assert len(body["cases"]) == 50 and body["cases"][0]["outcome"] == "match"
    assert {c["outcome"] for c in body["cases"][1:]} == {"not_found"}


def text_stamped(stamp_text: str, pages: int) -> bytes:
    """A PDF without metadata whose every page shows ``stamp_text``, as a scanned copy does."""
    content = b"BT /F1 4 Tf 1 5 Td (%s) Tj ET" % stamp_text.encode()
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 10] /Contents 4 0 R "
                b"/Resources << /Font << /F1 3 0 R >> >> >>"] * pages
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


def test_page_limit_without_metadata(app, client, world):
    case = world.case_at("closed")
    data = text_stamped(f"SafeLoop|{case.number}|seq={case.audit_seq}|sha256={case.audit_head}", 4)
    app.config["VERIFY_MAX_PAGES"] = 3
    resp = post(client, world, data)
    assert resp.status_code == 400 and resp.json["field"] == "file"
    assert "VERIFY_MAX_PAGES = 3" in resp.json["message"]
    app.config["VERIFY_MAX_PAGES"] = 4
    body = post(client, world, data).json
    assert body["match"] is True and [c["number"] for c in body["cases"]] == [case.number]


def test_thousands_of_stamps_are_checked_in_bounded_time(client, world):
    """2000 stamps (the default cap) are checked in chunks, not one query pair per stamp."""
    cases = [world.case_at("assigned") for _ in range(3)]
    rows = [{"id": c.id, "number": c.number, "seq": c.audit_seq, "head": c.audit_head}
            for c in cases]
    rows += [{"id": None, "number": f"WJ-2020-XX-{i:04d}", "seq": 1, "head": "a" * 64}
             for i in range(2000 - len(rows))]
    started = time.monotonic()
    resp = post(client, world, stamped(rows))
    assert resp.status_code == 200
    assert len(resp.json["cases"]) == 2000
    assert [c["outcome"] for c in resp.json["cases"][:3]] == ["match"] * 3
    assert time.monotonic() - started < 60  # a wall-clock bound, not a benchmark


def test_reader_refuses_before_reading_the_cases():
    try:
        read_stamps(AES_ENCRYPTED)
    except RefusedRecord as exc:
        assert "加密" in str(exc)
    else:
        raise AssertionError("an encrypted PDF was read")


def test_records_page_says_why_an_encrypted_pdf_is_refused(client, world):
    token = login(client, world.users["auditor"])
    resp = client.post("/records/verify", data={"csrf_token": token,
                                                "file": (io.BytesIO(AES_ENCRYPTED), "r.pdf")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert resp.status_code == 200 and "PDF 已加密" in resp.get_data(as_text=True)
