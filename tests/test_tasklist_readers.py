"""The task-list readers against the libraries they stand in for.

Workbooks (sheet_values) against openpyxl's own read-only reader: every workbook here is
written by hand, part by part, so that each way a cell, a string or a row can be written
is met; the values read must be exactly openpyxl's (``iter_rows(values_only=True)`` of a
read-only, data-only workbook), and a workbook the fast reader does not follow must be read
by openpyxl itself, with the same result. Word cells against python-docx's text, span and
merge of a cell.
"""
from __future__ import annotations

import datetime
import io
import random
import warnings
import zipfile
from dataclasses import asdict

import openpyxl
import pytest

from tests.tasklist_builders import build_xlsx, sample_rows
from workflow.platform.office_limits import (
    Deadline,
    ImportLimitExceeded,
    ImportLimits,
    open_package,
    scan_package,
)
from workflow.tasklist import parse_tasklist, sheet_values
from workflow.tasklist.office_readers import read_xlsx, read_xlsx_openpyxl
from workflow.tasklist.parse import _build_plan

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
STYLES = f"""<styleSheet xmlns="{MAIN}">
<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/>
<numFmt numFmtId="165" formatCode="[h]:mm:ss"/></numFmts>
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="1"><fill><patternFill patternType="none"/></fill></fills>
<borders count="1"><border/></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


def workbook(*sheets: str, strings: str | None = None, date1904: bool = False,
             states: tuple = ()) -> bytes:
    """An .xlsx of the given worksheets (the ``sheetData`` and what surrounds it, as XML
    text inside ``<worksheet>``) and shared-string items (the XML inside ``<sst>``)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        overrides = [f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>',
                     f'<Override PartName="/xl/styles.xml" ContentType="{CT}.styles+xml"/>']
        rels = [f'<Relationship Id="rIdStyles" Target="styles.xml" Type="{REL}/styles"/>']
        entries = []
        for n, body in enumerate(sheets, start=1):
            part = f"xl/worksheets/sheet{n}.xml"
            z.writestr(part, f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}">{body}</worksheet>')
            overrides.append(f'<Override PartName="/{part}" ContentType="{CT}.worksheet+xml"/>')
            rels.append(f'<Relationship Id="rId{n}" Target="worksheets/sheet{n}.xml" '
                        f'Type="{REL}/worksheet"/>')
            state = f' state="{states[n - 1]}"' if n <= len(states) else ""
            entries.append(f'<sheet name="表{n}" sheetId="{n}" r:id="rId{n}"{state}/>')
        if strings is not None:
            z.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">{strings}</sst>')
            overrides.append(f'<Override PartName="/xl/sharedStrings.xml" '
                             f'ContentType="{CT}.sharedStrings+xml"/>')
            rels.append(f'<Relationship Id="rIdStrings" Target="sharedStrings.xml" '
                        f'Type="{REL}/sharedStrings"/>')
        z.writestr("[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package'
            '.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            + "".join(overrides) + "</Types>"))
        z.writestr("_rels/.rels", f'<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" '
                   f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   f'<Relationships xmlns="{PKG_REL}">{"".join(rels)}</Relationships>')
        pr = '<workbookPr date1904="1"/>' if date1904 else "<workbookPr/>"
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{REL}">{pr}<sheets>'
                   + "".join(entries) + "</sheets></workbook>")
        z.writestr("xl/styles.xml", STYLES)
    return out.getvalue()


def by_openpyxl(data: bytes) -> list:
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return [(ws.title, ws._worksheet_path, list(ws.iter_rows(values_only=True)))
                for ws in wb.worksheets]
    finally:
        wb.close()


def by_fast_reader(data: bytes, limits: ImportLimits | None = None) -> list:
    names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    sheets = sheet_values.read_workbook(data, limits or ImportLimits(), Deadline(60), names)
    return [(s.title, s.part, s.rows) for s in sheets]


def outcome(read, data: bytes):
    """What a reader gives: its sheets, or that it refused (any error), or Unusual."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = ("read", read(data))
        except sheet_values.Unusual:
            return ("unusual",)
        except Exception:
            result = ("error",)
    return (*result, sorted(str(w.message) for w in caught))


def assert_same(data: bytes) -> None:
    fast = outcome(by_fast_reader, data)
    assert fast[0] != "unusual", "the fast reader should follow this workbook"
    assert fast == outcome(by_openpyxl, data)


def sheet(*rows: str, dimension: str | None = None, after: str = "") -> str:
    head = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'{head}<sheetData>{"".join(rows)}</sheetData>{after}'


# --- values, one kind at a time ------------------------------------------------------------

@pytest.mark.parametrize("cells", [
    '<c r="A1"><v>1</v></c><c r="B1"><v>2.5</v></c><c r="C1"><v>1E3</v></c><c r="D1"><v>-7</v></c>',
    '<c r="A1" t="n"><v>12</v></c><c r="B1" t="n"><v></v></c><c r="C1"/><c r="D1" t="n"/>',
    '<c r="A1" t="b"><v>1</v></c><c r="B1" t="b"><v>0</v></c>',
    '<c r="A1" t="e"><v>#N/A</v></c><c r="B1" t="str"><f>A1&amp;"x"</f><v>计算值</v></c>',
    '<c r="A1" t="d"><v>2020-03-04T05:06:07</v></c><c r="B1" t="d"><v>2020-03-04</v></c>',
    '<c r="A1"><f>1+1</f><v>2</v></c><c r="B1" t="str"><f>"a"</f></c>',
    '<c r="A1" s="1"><v>43831</v></c><c r="B1" s="2"><v>43831.5</v></c><c r="C1" s="3"><v>1.25</v></c>',
    '<c r="A1" s="1"><v>99999999999</v></c>',  # a date past the limits: openpyxl warns
    '<c r="A1" t="inlineStr"><is><t>行内 文字</t></is></c><c r="B1" t="inlineStr"/>'
    '<c r="C1" t="inlineStr"><is><t/></is></c><c r="D1" t="inlineStr"><is/></c>',
    '<c r="A1" t="inlineStr"><is><r><rPr><b/><sz val="11"/></rPr><t>粗</t></r><r><t xml:space='
    '"preserve"> 细 </t></r></is></c><c r="B1" t="inlineStr"><is><t>前</t><r><t>后</t></r></is></c>',
    '<c r="A1" t="inlineStr"><is><t>x005F_不替换</t></is></c><c r="B1" t="inlineStr"><v>1</v></c>',
    '<c r="A1" t="inlineStr"><is><t>先</t><t>后</t></is></c>',  # the last plain text counts
    '<c r="A1" t="inlineStr"><is><x:t xmlns:x="urn:x">别的命名空间</x:t><x:r xmlns:x="urn:x"><t>r</t>'
    '</x:r><extLst/></is></c>',  # openpyxl goes by the local name and passes over what it has not
    '<c r="a1"><v>1</v></c><c r="aa1"><v>2</v></c>',
    '<c><v>1</v></c><c><v>2</v></c><c r="E1"><v>5</v></c><c><v>6</v></c>',
    '<c r="C1"><v>3</v></c><c r="A1"><v>1</v></c>',  # out of order: the row ends at C
    '<c r="B1"><v>1</v></c><c r="B1"><v>2</v></c>',
    '<c r="A1" s=""><v>1</v></c><c r="B1" s="0"><v>2</v></c>',
], ids=["numbers", "empty", "booleans", "errors-str", "iso-dates", "formulas", "dates",
        "date-overflow", "inline", "inline-rich", "inline-x005F", "inline-two-texts",
        "inline-other-namespace", "lowercase-refs", "no-refs", "out-of-order", "same-column", "style-ids"])
def test_cell_values_as_openpyxl(cells):
    assert_same(workbook(sheet(f'<row r="1">{cells}</row>')))


def test_1904_dates_as_openpyxl():
    data = workbook(sheet('<row r="1"><c r="A1" s="1"><v>1</v></c><c r="B1" s="2"><v>0.5</v></c></row>'),
                    date1904=True)
    assert_same(data)
    assert by_fast_reader(data)[0][2][0][0] == datetime.datetime(1904, 1, 2)


SHARED = ("<si><t>甲</t></si><si><t xml:space=\"preserve\"> 乙 </t></si>"
          "<si><r><rPr><b/><color rgb=\"FFFF0000\"/></rPr><t>红</t></r><r><t>字</t></r></si>"
          "<si><t>读音</t><rPh sb=\"0\" eb=\"2\"><t>よみ</t></rPh><phoneticPr fontId=\"1\"/></si>"
          "<si><t>a_x005F_x000D_b</t></si><si><t/></si><si/>"
          "<si><t>甲</t><phoneticPr fontId=\"1\" type=\"noConversion\"/></si>")


def test_shared_strings_as_openpyxl():
    cells = "".join(f'<c r="{chr(65 + i)}1" t="s"><v>{i}</v></c>' for i in range(8))
    data = workbook(sheet(f'<row r="1">{cells}</row>'), strings=SHARED)
    assert_same(data)
    assert by_fast_reader(data)[0][2][0][:5] == ("甲", " 乙 ", "红字", "读音", "a_x000D_b")


@pytest.mark.parametrize("index", ["8", "x", "-1"])
def test_a_shared_string_that_is_not_there_fails_as_in_openpyxl(index):
    data = workbook(sheet(f'<row r="1"><c r="A1" t="s"><v>{index}</v></c></row>'), strings=SHARED)
    assert outcome(by_fast_reader, data) == outcome(by_openpyxl, data)


# --- rows ----------------------------------------------------------------------------------

ROWS = ['<row r="2"><c r="A2"><v>2</v></c></row>',
        '<row r="5"><c r="B5"><v>5</v></c><c r="D5"><v>6</v></c></row>',
        '<row><c r="A6"><v>7</v></c></row>',
        '<row r="4"><c r="A4"><v>4</v></c></row>',  # behind: skipped, as openpyxl does
        '<row r="9"/>',
        '<row r="10.0"><c r="C10"><v>10</v></c></row>']


@pytest.mark.parametrize("dimension", [None, "A1:D10", "A1:B3", "B2:C12", "A1:F20", "A1", "A:C", "2:7"])
def test_rows_as_openpyxl(dimension):
    assert_same(workbook(sheet(*ROWS, dimension=dimension)))


def test_sheets_titles_and_states_as_openpyxl():
    one = sheet('<row r="1"><c r="A1"><v>1</v></c></row>')
    data = workbook(one, sheet(), one, states=("visible", "hidden", "veryHidden"))
    assert_same(data)
    assert [title for title, _, _ in by_fast_reader(data)] == ["表1", "表2", "表3"]


def test_the_rest_of_a_sheet_is_left_to_openpyxl_only_for_its_values():
    after = ('<mergeCells count="1"><mergeCell ref="A1:A2"/></mergeCells>'
             '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>')
    assert_same(workbook('<sheetPr><outlinePr summaryBelow="1"/></sheetPr><sheetViews><sheetView '
                         'workbookViewId="0"/></sheetViews><cols><col min="1" max="2" width="9"/></cols>'
                         + sheet('<row r="1" spans="1:2" ht="20" customHeight="1"><c r="A1"><v>1</v>'
                                 '</c></row>', dimension="A1:B2", after=after)))


# --- workbooks the fast reader leaves to openpyxl --------------------------------------------

UNUSUAL = {
    "element in a text": '<row r="1"><c r="A1" t="inlineStr"><is><t>a<b/>c</t></is></c></row>',
    "row child not a cell": '<row r="1"><c r="A1"><v>1</v></c><extLst/></row>',
    "attribute on a string": '<row r="1"><c r="A1" t="inlineStr"><is foo="1"><t>a</t></is></c></row>',
    "a name openpyxl's Text holds": '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t><tagname/></is>'
                                    '</c></row>',
    "unknown run font": '<row r="1"><c r="A1" t="inlineStr"><is><r><rPr><sz val="big"/></rPr><t>a</t>'
                        '</r></is></c></row>',
}


@pytest.mark.parametrize("name", UNUSUAL)
def test_an_unusual_workbook_is_read_by_openpyxl(name):
    data = workbook(sheet(UNUSUAL[name]))
    assert outcome(by_fast_reader, data) == ("unusual",)
    limits = ImportLimits()
    shape = scan_package(open_package(data, limits), limits, Deadline(60))
    tables = outcome(lambda d: read_xlsx(d, shape, limits, Deadline(60)), data)
    assert tables == outcome(lambda d: read_xlsx_openpyxl(d, shape, limits, Deadline(60)), data)


def _random_cell(rng: random.Random, column: int) -> str:
    ref = rng.choice([f' r="{chr(64 + column)}1"', "", f' r="{chr(96 + column)}1"', ' r="A1"'])
    kind = rng.choice(["", ' t="n"', ' t="s"', ' t="b"', ' t="e"', ' t="str"', ' t="inlineStr"',
                       ' t="d"', ' t="x"'])
    style = rng.choice(["", ' s="1"', ' s="2"', ' s="3"', ' s="0"'])
    value = rng.choice(["<v>1</v>", "<v>0</v>", "<v>3.5</v>", "<v>7</v>", "<v>abc</v>", "<v/>",
                        "<v>2020-01-02</v>", "", "<f>1+1</f><v>2</v>",
                        "<is><t>文</t></is>", "<is><r><t>甲</t></r><r><t>乙</t></r></is>",
                        "<is><t>甲</t><rPh sb=\"0\" eb=\"1\"><t>x</t></rPh></is>", "<is/>"])
    return f"<c{ref}{kind}{style}>{value}</c>"


@pytest.mark.parametrize("seed", range(40))
def test_random_workbooks_as_openpyxl(seed):
    """The fast reader reads a workbook as openpyxl does, refuses it as openpyxl does, or
    leaves it to openpyxl."""
    rng = random.Random(seed)
    rows = []
    for _ in range(rng.randint(0, 12)):
        r = rng.choice([f' r="{rng.randint(1, 15)}"', "", ' r="x"', ' r="3.0"'])
        cells = "".join(_random_cell(rng, c) for c in range(1, rng.randint(1, 6)))
        rows.append(f"<row{r}>{cells}</row>")
    dimension = rng.choice([None, "A1:C5", "A1:F20", "B2"])
    data = workbook(sheet(*rows, dimension=dimension), strings=SHARED)
    fast = outcome(by_fast_reader, data)
    assert fast == ("unusual",) or fast == outcome(by_openpyxl, data)


# --- the parse, through either reader -------------------------------------------------------

def test_task_lists_parse_the_same_through_openpyxl():
    limits = ImportLimits()
    for data in (build_xlsx(sample_rows()), _generated(300)):
        shape = scan_package(open_package(data, limits), limits, Deadline(60))
        fast = _build_plan(read_xlsx(data, shape, limits, Deadline(60)), "a.xlsx")
        slow = _build_plan(read_xlsx_openpyxl(data, shape, limits, Deadline(60)), "a.xlsx")
        assert asdict(fast) == asdict(slow)


def _generated(items: int) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["生成的目标任务清单"])
    ws.append(["序号", "目标项目", "目标任务", "具体内容", "责任部门", "备注"])
    for n in range(items):
        ws.append([n // 100 + 1, f"目标项目{n // 100 + 1}", f"目标任务{n // 10}",
                   f"第{n + 1}项工作：每年不少于{n % 3 + 1}次", f"区第{n % 40 + 1}局\n各地", None])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- what the scan lets through ---------------------------------------------------------------

def _without_dimension(data: bytes, change) -> bytes:
    import re

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                body = change(re.sub(r'<dimension ref="[^"]*"/>', "", body.decode())).encode()
            target.writestr(info.filename, body)
    return out.getvalue()


@pytest.mark.parametrize("unusual", [False, True], ids=["fast", "openpyxl"])
def test_a_row_number_the_scan_cannot_read_is_refused_at_once(unusual):
    """r="1e15": the scan counts it as the next row; openpyxl added 10^15 empty rows (60 s and
    gigabytes before the clock stopped it)."""
    def change(xml: str) -> str:
        xml = xml.replace('<row r="52"', '<row r="1e15"', 1)
        return xml.replace("</row>", "<extLst/></row>", 1) if unusual else xml
    data = _without_dimension(build_xlsx(sample_rows()), change)
    with pytest.raises(ImportLimitExceeded) as info:
        parse_tasklist(data, "清单.xlsx")
    # openpyxl's rows are counted as they come: it is refused at the first one past the limit
    assert info.value.limit == "IMPORT_MAX_SHEET_ROWS"
    assert info.value.row == (20001 if unusual else 10 ** 15)


@pytest.mark.parametrize("unusual", [False, True], ids=["fast", "openpyxl"])
def test_a_dimension_the_scan_cannot_read_is_refused_when_too_wide(unusual):
    """ref="A:XFD": the scan cannot read it; openpyxl made every row 16,384 cells wide."""
    def change(xml: str) -> str:
        xml = xml.replace("<sheetData", '<dimension ref="A:XFD"/><sheetData', 1)
        return xml.replace("</row>", "<extLst/></row>", 1) if unusual else xml
    data = _without_dimension(build_xlsx(sample_rows()), change)
    with pytest.raises(ImportLimitExceeded) as info:
        parse_tasklist(data, "清单.xlsx")
    assert info.value.limit == "IMPORT_MAX_COLUMNS"


# --- Word: a cell's text, span and merge as python-docx gives them ------------------------------

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CELL_XML = [
    "<w:p><w:r><w:t>甲</w:t></w:r><w:r><w:t xml:space=\"preserve\"> 乙 </w:t></w:r></w:p>",
    "<w:p><w:r><w:t>一</w:t><w:tab/><w:t>二</w:t><w:br/><w:t>三</w:t><w:br w:type=\"page\"/>"
    "<w:cr/><w:noBreakHyphen/><w:ptab w:relativeTo=\"margin\" w:alignment=\"left\" w:leader=\"none\"/>"
    "</w:r></w:p><w:p/><w:p><w:hyperlink><w:r><w:t>链接</w:t></w:r><w:r><w:t>文</w:t></w:r>"
    "</w:hyperlink><w:r><w:t/></w:r></w:p>",
    "<w:tcPr><w:gridSpan w:val=\"2\"/><w:vMerge w:val=\"restart\"/></w:tcPr><w:p><w:r><w:t>跨</w:t>"
    "</w:r></w:p>",
    "<w:tcPr><w:vMerge/></w:tcPr><w:p/>",
    "<w:tcPr><w:tcW w:w=\"100\" w:type=\"dxa\"/></w:tcPr><w:tbl><w:tr><w:tc><w:p><w:r><w:t>内表"
    "</w:t></w:r></w:p></w:tc></w:tr></w:tbl><w:p><w:r><w:t>外</w:t></w:r></w:p>"
    "<w:sdt><w:sdtContent><w:p><w:r><w:t>控件</w:t></w:r></w:p></w:sdtContent></w:sdt>",
    "<w:p><w:ins><w:r><w:t>修订</w:t></w:r></w:ins><w:r><w:rPr><w:b/></w:rPr><w:t>粗</w:t>"
    "<w:fldChar w:fldCharType=\"begin\"/><w:instrText>PAGE</w:instrText></w:r></w:p>",
]


def test_word_cells_read_as_python_docx():
    import docx
    from docx.oxml import parse_xml
    from docx.table import _Cell

    from workflow.tasklist.office_readers import _span_and_merge, _tc_text

    document = docx.Document()
    table = document.add_table(rows=1, cols=1)
    for xml in CELL_XML:
        tc = parse_xml(f'<w:tc xmlns:w="{W}">{xml}</w:tc>')
        table._tbl.tr_lst[0].append(tc)
        assert _tc_text(tc) == _Cell(tc, table).text
        assert _span_and_merge(tc) == (tc.grid_span, tc.vMerge)
