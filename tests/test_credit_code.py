"""统一社会信用代码 (GB 32100-2015): codes built by the algorithm pass, every one-character
corruption is refused — by the checker, by POST /enterprises and by the case form."""
from __future__ import annotations

import pytest

from tests.factories_territory import CODES
from workflow.enterprises.credit_code import ALPHABET, check_char, is_valid, make_code


def corruptions(code: str):
    """Every code differing from ``code`` in exactly one character (digits, letters, and the
    five letters the standard leaves out)."""
    for i in range(18):
        for c in ALPHABET + "IOZSV":
            if c != code[i]:
                yield code[:i] + c + code[i + 1:]


@pytest.mark.parametrize("code", CODES)
def test_built_codes_are_valid_and_every_single_corruption_is_refused(code):
    assert is_valid(code)
    assert is_valid(code.lower())  # typed in lower case, read upper
    bad = [c for c in corruptions(code) if is_valid(c)]
    assert bad == []
    assert sum(1 for _ in corruptions(code)) == 18 * 35


def test_check_character_31_is_written_0():
    # find a body whose weighted sum is ≡ 0 mod 31: its check character is 0, not "31"
    body = next(b for b in (f"91320412{n:09d}" for n in range(10000))
                if sum(ALPHABET.index(c) * w for c, w in zip(b, (
                    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28))) % 31 == 0)
    assert check_char(body) == "0" and is_valid(body + "0")


def test_shape_refused():
    good = make_code("91", "320412", "MA1MXK3L6")
    assert not is_valid(good[:17])
    assert not is_valid(good + "0")
    assert not is_valid(good[:2] + "A" + good[3:])  # the division code is digits


def test_api_refuses_each_corruption_with_rule_and_field(client, world, territory):
    office = world.headers("office_staff")
    good = CODES[1]
    for i in range(18):
        c = next(ch for ch in ALPHABET if ch != good[i] and (not 2 <= i <= 7 or ch.isdigit()))
        bad = good[:i] + c + good[i + 1:]
        resp = client.post("/api/v1/enterprises", headers=office, json={
            "name": "常州某机械有限公司", "credit_code": bad, "unit_id": territory.village.id})
        assert resp.status_code == 422, (i, resp.json)
        assert resp.json["rules"] == ["credit_code_invalid"] and resp.json["field"] == "credit_code"
    resp = client.post("/api/v1/enterprises", headers=office, json={
        "name": "常州某机械有限公司", "credit_code": good, "industry": "机械",
        "unit_id": territory.village.id, "address": "湖塘镇马杭工业园8号",
        "legal_representative": "蒋国平", "safety_contact": "顾建新",
        "safety_phone": "13915000001", "above_scale": True, "key_supervision": False})
    assert resp.status_code == 201, resp.json
    assert resp.json["credit_code"] == good and resp.json["unit_id"] == territory.village.id
    again = client.post("/api/v1/enterprises", headers=office, json={
        "name": "另一家", "credit_code": good})
    assert again.status_code == 409 and again.json["rules"] == ["credit_code_taken"]


def test_case_form_refuses_bad_check_character(client, world):
    good = CODES[2]
    bad = good[:17] + next(c for c in ALPHABET if c != good[17])
    body = {"title": "配电箱未接地", "description": "配电箱外壳未接地", "source": "patrol",
            "grade": "general", "department_id": world.dept.id, "deadline": "2099-01-01",
            "credit_code": bad}
    resp = client.post("/api/v1/cases", headers=world.headers("inspector"), json=body)
    assert resp.status_code == 422 and resp.json["rules"] == ["credit_code_invalid"]
    assert resp.json["field"] == "credit_code"
