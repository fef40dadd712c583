"""Reading a problem-list workbook: its header row and its cell values.

Header names are matched through a synonyms table after ``normalise_header``;
the workbook is checked against the import limits and streamed (``read_sheet``); merged cells carry their top-left value into every cell they cover; dates come
from date cells, Excel serial numbers or text in the usual Chinese forms.
"""
from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, timedelta

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from workflow.platform.errors import InvalidInput
from workflow.platform.office_limits import (
    ImportLimits,
    SheetShape,
    check_office_file,
    fill_merges,
    limited_rows,
)

# field → header names users write (compared after normalise_header)
SYNONYMS = {
    "original_number": ["原编号", "原序号", "序号", "问题编号", "原问题编号", "清单编号"],
    "number": ["编号", "台账编号", "系统编号"],
    "title": ["标题", "问题标题", "隐患名称", "问题名称"],
    "description": ["问题描述", "问题", "存在问题", "隐患描述", "问题内容", "主要问题", "隐患内容",
                    "问题及隐患", "隐患问题"],
    "department_id": ["整改责任单位", "责任单位", "责任部门", "牵头单位", "整改单位", "责任单位部门"],
    "deadline": ["整改期限", "整改时限", "完成时限", "整改完成时限", "期限", "完成期限"],
    "source": ["来源", "问题来源", "隐患来源"],
    "grade": ["等级", "隐患等级", "隐患级别", "问题等级"],
    "found_on": ["发现时间", "发现日期", "检查时间", "检查日期", "反馈时间"],
    "found_by": ["发现人/检查组", "发现人", "检查组", "检查人", "督导组", "检查人员"],
    "industry": ["所属行业领域", "行业领域", "行业", "所属行业"],
    "town": ["属地", "属地(镇/街道)", "所属镇街", "镇/街道", "所在镇", "属地镇街"],
    "responsible_unit": ["责任主体", "企业名称", "单位名称", "被检查单位", "生产经营单位"],
    "credit_code": ["统一社会信用代码", "信用代码"],
    "location": ["地点", "地址", "隐患地点", "具体位置"],
    "basis": ["判定依据", "依据", "检查依据"],
    "measures_required": ["整改措施/要求", "整改措施", "整改要求", "整改意见"],
    "responsible_person": ["责任人", "整改责任人"],
    "responsible_phone": ["电话", "联系电话", "手机"],
    "funds": ["整改资金(万元)", "整改资金", "资金(万元)"],
    "suspended": ["是否停产", "停产"],
    # a row taken in after its deadline passed (补录): its past deadline is kept as it was
    "backfill": ["补录", "是否补录"],
    # 监督举报 lists; the ledger export writes these masked under other names (not re-imported)
    "reporter_name": ["举报人", "举报人姓名"],
    "reporter_contact": ["举报人联系方式", "举报人电话", "举报人联系电话"],
    # the full 台账 (issue 13)
    "clue_type": ["线索类别", "线索类型"],
    "hazard_category": ["隐患类别", "隐患类型", "隐患分类"],
    "rectification_type": ["整改类型", "整改方式"],
    "shutdown": ["停产停业情况", "停产停业"],
    "interim_measures": ["临时管控措施", "管控措施", "临时措施"],
    "completed_on": ["实际完成日期", "实际完成时间", "整改完成日期", "完成日期"],
    "actual_funds": ["实际投入资金(万元)", "实际投入资金", "实际整改资金"],
    "acceptance_by": ["验收人", "验收人员"],
    "acceptance_method": ["验收方式"],
    "acceptance_on": ["验收日期", "验收时间"],
    "supervisor_name": ["监管责任人", "监管人员"],
    "territorial_unit_id": ["属地单位", "属地责任单位", "属地监管单位"],
    "listed": ["是否挂牌", "是否挂牌督办", "挂牌督办"],
    "listing_level": ["挂牌层级", "挂牌级别"],
    "listing_document": ["挂牌文号", "挂牌督办文号"],
    # written by the ledger export, read but not imported (the new case starts over)
    "_ignored": ["整改完成情况", "复查人", "复查意见", "销号时间", "状态", "备注"],
}
HEADER_SCAN_ROWS = 10
DATE_PATTERNS = [
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
EXCEL_EPOCH = date(1899, 12, 30)


def normalise_header(text) -> str:
    s = str(text or "").strip()
    s = s.translate(str.maketrans("（）／：", "()/:"))
    s = re.sub(r"\s+", "", s)
    return s.rstrip(":*")


HEADER_INDEX = {normalise_header(name): fld for fld, names in SYNONYMS.items() for name in names}


# --- reading the workbook ------------------------------------------------------
def _corrupt(exc: Exception) -> InvalidInput:
    return InvalidInput(f"无法读取 Excel 文件（{type(exc).__name__}），文件可能已损坏", field="file")


def read_sheet(data: bytes, limits: ImportLimits, sheet: str | None = None) -> tuple[str, list[list]]:
    """The title and the cell values of one sheet (the first unless ``sheet``), merged ranges filled.

    The zip directory and every XML part are checked against ``limits`` first
    (``office_limits``); the sheet is then streamed by openpyxl in read-only mode, so
    neither a declared dimension nor a merged range is ever expanded past the limits.
    """
    if not data:
        raise InvalidInput("上传的文件为空", field="file")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InvalidInput("文件设有打开密码（已加密）或为旧版 .xls 格式：请取消密码并另存为 .xlsx 后再导入",
                           field="file")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise InvalidInput("文件不是有效的 Excel（.xlsx）文件，可能已损坏", field="file")
    try:
        shape, deadline = check_office_file(data, limits)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _corrupt(exc) from None
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError,
            OSError, EOFError) as exc:
        raise _corrupt(exc) from None
    try:
        if sheet:
            if sheet not in wb.sheetnames:
                raise InvalidInput(f"工作表“{sheet}”不存在；文件中有：{'、'.join(wb.sheetnames)}",
                                   field="sheet")
            ws = wb[sheet]
        elif wb.worksheets:
            ws = wb.worksheets[0]
        else:
            raise InvalidInput("文件中没有工作表", field="file")
        part = getattr(ws, "_worksheet_path", None)
        if part not in shape.scanned:
            raise InvalidInput("文件中的工作表无法检查，文件可能已损坏", field="file", part=part)
        try:
            grid = [list(values) for values in limited_rows(ws, limits, deadline, part)]
        except (KeyError, ValueError, TypeError, IndexError, zipfile.BadZipFile, OSError) as exc:
            raise _corrupt(exc) from None
        return ws.title, _filled(grid, shape.sheets.get(part))
    finally:
        wb.close()


def _filled(grid: list[list], shape: SheetShape | None) -> list[list]:
    """A rectangle (openpyxl's rows end at their last cell without a dimension), merges filled."""
    width = max((len(r) for r in grid), default=0)
    for row in grid:
        row.extend([None] * (width - len(row)))
    if shape is not None:
        fill_merges(grid, shape.merges)
    return grid


def find_header(grid) -> tuple[int, dict, list[str]]:
    best = (0, {}, [])
    for i, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        cols, ignored, seen = {}, [], set()
        for j, value in enumerate(row):
            if value in (None, ""):
                continue
            fld = HEADER_INDEX.get(normalise_header(value))
            letter = get_column_letter(j + 1)
            if fld and fld != "_ignored" and fld not in seen:
                cols[letter] = fld
                seen.add(fld)
            else:
                ignored.append(f"{letter}（{str(value).strip()[:20]}）")
        if len(cols) > len(best[1]):
            best = (i + 1, cols, ignored)
    return best


# --- cell values ---------------------------------------------------------------
def parse_cell_date(value) -> date:
    """A date from a date cell, an Excel serial number or text in the usual forms."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # Excel serial numbers (1954–2119)
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise ValueError
    text = re.sub(r"\s+", "", str(value))
    text = re.sub(r"(之前|以前|前)$", "", text)
    for pat in DATE_PATTERNS:
        if m := pat.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
    raise ValueError


def cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def cell_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    text = cell_text(value)
    if text in ("是", "Y", "y", "yes", "1", "停产", "true", "TRUE"):
        return True
    if text in ("否", "N", "n", "no", "0", "不停产", "false", "FALSE", "未停产"):
        return False
    raise ValueError
