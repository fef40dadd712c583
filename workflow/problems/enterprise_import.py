"""Import a 生产经营单位 名录 from Excel: all-or-nothing, every bad cell named by row.

Columns are found by header (synonyms below). The 属地 cell names a unit (town, village
or grid) by its name. Each row goes through ``enterprises.register.clean_enterprise``, the
checks of ``POST /enterprises``: a credit code failing GB 32100-2015 is reported as
``credit_code_invalid`` on its row. A code already in the register, or twice in the file,
is refused too. One bad row and nothing is written.
"""
from __future__ import annotations

import hashlib
import re

from openpyxl.utils import column_index_from_string, get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.core.policy import enterprise_import_refusal
from workflow.enterprises import credit_code
from workflow.enterprises.models import Enterprise
from workflow.enterprises.register import FIELD_LABELS, by_code, clean_enterprise
from workflow.org.models import Department, User
from workflow.platform.errors import RULE_MESSAGES, DomainError, InvalidInput
from workflow.platform.office_limits import ImportLimits
from workflow.problems.excel_sheet import cell_bool, cell_text, normalise_header, read_sheet

SYNONYMS = {
    "name": ["单位名称", "企业名称", "生产经营单位", "名称"],
    "credit_code": ["统一社会信用代码", "信用代码", "社会信用代码"],
    "industry": ["行业类别", "所属行业", "行业", "行业领域"],
    "unit_id": ["属地", "属地单位", "所属镇街", "所属村社区", "所属网格"],
    "address": ["地址", "生产经营地址", "单位地址"],
    "legal_representative": ["法定代表人", "法人代表", "主要负责人"],
    "safety_contact": ["安全管理联系人", "安全负责人", "联系人"],
    "safety_phone": ["联系电话", "电话", "手机"],
    "above_scale": ["规模以上", "是否规上", "规上企业"],
    "key_supervision": ["重点监管", "是否重点监管", "重点监管企业"],
}
HEADERS = {normalise_header(n): f for f, names in SYNONYMS.items() for n in names}


class EnterpriseImportRejected(DomainError):
    status = 422
    code = "import_rejected"


def import_enterprises(session: Session, actor: User, data: bytes, filename: str, *,
                       dry_run: bool = False, limits: ImportLimits | None = None) -> dict:
    """Check every row; unless ``dry_run`` and when all are good, create them (flush only)."""
    if refusal := enterprise_import_refusal(actor):
        raise refusal
    limits = limits or ImportLimits()
    title, grid = read_sheet(data, limits)
    header_row, letters = 0, {}
    for i, row in enumerate(grid[:10], 1):
        found = {get_column_letter(j + 1): HEADERS[normalise_header(v)]
                 for j, v in enumerate(row) if v is not None and normalise_header(v) in HEADERS}
        if "name" in found.values() and "credit_code" in found.values():
            header_row, letters = i, found
            break
    if not header_row:
        raise InvalidInput("表头须有“单位名称”和“统一社会信用代码”两列", field="file")
    units = {re.sub(r"\s+", "", n): i for n, i in session.execute(
        select(Department.name, Department.id).where(Department.active.is_(True)))}
    errors, rows, seen = [], [], {}
    for offset, row in enumerate(grid[header_row:]):
        row_no = header_row + 1 + offset
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        if len(rows) >= limits.max_rows:
            raise InvalidInput(f"一次最多导入 {limits.max_rows} 行，请分批导入", field="file")
        raw: dict = {}

        def err(letter, fld, message, row_no=row_no):
            errors.append({"row": row_no, "column": letter, "field": fld,
                           "header": FIELD_LABELS.get(fld), "message": message,
                           "text": f"第{row_no}行 {letter}列（{FIELD_LABELS.get(fld)}）：{message}"})

        for letter, fld in letters.items():
            j = column_index_from_string(letter) - 1
            value = row[j] if j < len(row) else None
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if isinstance(value, str) and value.startswith("="):
                err(letter, fld, "单元格是公式：请粘贴为数值后再导入")
                continue
            if fld == "unit_id":
                key = re.sub(r"\s+", "", cell_text(value))
                if key not in units:
                    err(letter, fld, f"属地单位“{cell_text(value)[:30]}”不存在")
                else:
                    raw[fld] = units[key]
            elif fld in ("above_scale", "key_supervision"):
                try:
                    raw[fld] = cell_bool(value)
                except ValueError:
                    err(letter, fld, "应为“是”或“否”")
            else:
                raw[fld] = cell_text(value)
        by_field = {f: l for l, f in letters.items()}
        for fld in list(raw):
            try:
                clean_enterprise(session, {fld: raw[fld]}, partial=True)
            except DomainError as exc:
                rules = exc.extra.get("rules") or []
                message = RULE_MESSAGES[rules[0]] if rules else exc.message
                err(by_field.get(fld), fld, message + (f"（{rules[0]}）" if rules else ""))
                raw.pop(fld)
        for fld in ("name", "credit_code"):
            if fld not in raw and not any(e["row"] == row_no and e["field"] == fld for e in errors):
                err(by_field.get(fld), fld, f"{FIELD_LABELS[fld]}为必填项")
        code = credit_code.normalise(raw.get("credit_code"))
        if code:
            if code in seen:
                err(by_field["credit_code"], "credit_code", f"与第{seen[code]}行的代码重复")
            elif by_code(session, code) is not None:
                err(by_field["credit_code"], "credit_code", "该代码已在名录中登记")
            seen.setdefault(code, row_no)
        rows.append((row_no, raw))
    if not rows:
        raise InvalidInput("表中没有数据行", field="file")
    report = {"filename": filename, "sha256": hashlib.sha256(data).hexdigest(), "sheet": title,
              "header_row": header_row, "total_rows": len(rows), "errors": errors,
              "created": 0, "enterprise_ids": []}
    if errors:
        n = len({e["row"] for e in errors})
        raise EnterpriseImportRejected(f"{n} 行有误，未导入任何数据；请修改后重新上传",
                                       field="file", errors=errors, total_rows=len(rows))
    if dry_run:
        return report
    for _row_no, raw in rows:
        ent = Enterprise(**clean_enterprise(session, raw))
        session.add(ent)
        session.flush()
        report["enterprise_ids"].append(ent.id)
    report["created"] = len(rows)
    return report
