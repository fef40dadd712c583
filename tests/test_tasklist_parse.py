"""Parsing the annual task list (目标任务清单) from text, Word and Excel."""

import io
import zipfile
from dataclasses import asdict

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tasklist_builders import SAMPLE_TITLE, build_docx, build_xlsx, sample_bytes, sample_rows
from workflow.tasklist import GROUP_PHRASES, ParsedPlan, TaskListError, parse_tasklist
from workflow.tasklist.departments import parse_departments
from workflow.tasklist.targets import find_target

FORMATS = ("txt", "docx", "docx-repeated", "xlsx")


def _build(fmt: str) -> tuple[bytes, str]:
    rows = sample_rows()
    return {
        "txt": lambda: (sample_bytes(), "wujin-2020.txt"),
        "docx": lambda: (build_docx(rows), "wujin-2020.docx"),
        "docx-repeated": lambda: (build_docx(rows, merge=False), "wujin-2020.docx"),
        "xlsx": lambda: (build_xlsx(rows), "wujin-2020.xlsx"),
    }[fmt]()


@pytest.fixture(scope="module", params=FORMATS)
def plan(request) -> ParsedPlan:
    return parse_tasklist(*_build(request.param))


@pytest.fixture(scope="module")
def text_plan() -> ParsedPlan:
    return parse_tasklist(sample_bytes(), "wujin-2020.txt")


def _without_rows(plan: ParsedPlan) -> list[dict]:
    return [{k: v for k, v in asdict(item).items() if k != "row"} for item in plan.items]


def _item(plan: ParsedPlan, fragment: str):
    (found,) = [i for i in plan.items if fragment in i.content]
    return found


def _error(data: bytes, filename: str) -> TaskListError:
    with pytest.raises(TaskListError) as info:
        parse_tasklist(data, filename)
    return info.value


def _resave(workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sample_text() -> str:
    return sample_bytes().decode("utf-8")


# --- the real 2020 list ---------------------------------------------------------------------


def test_counts_projects_tasks_items(plan):
    assert len(plan.items) == 50
    assert [i.seq for i in plan.items] == list(range(1, 51))
    assert sorted({i.project_no for i in plan.items}) == [1, 2, 3, 4, 5]
    assert len({i.project for i in plan.items}) == 5
    assert len({(i.project_no, i.task) for i in plan.items}) == 18
    assert plan.title == SAMPLE_TITLE


def test_hierarchy_is_inherited_from_merged_cells(plan):
    first, second = plan.items[:2]
    assert first.project == second.project == "切实加强安全生产组织领导"
    assert first.task == second.task == "坚决扛起做好安全生产工作的政治责任"
    assert _item(plan, "研究建立“共性+个性”").task == "强化安全生产巡查、考核"  # two-line cell
    assert plan.items[-1].project_no == 5 and plan.items[-1].task == "提高应急处置能力"


@pytest.mark.parametrize("fmt", FORMATS[1:])
def test_items_identical_in_every_format(fmt, text_plan):
    other = parse_tasklist(*_build(fmt))
    assert _without_rows(other) == _without_rows(text_plan)
    assert other.departments == text_plan.departments and other.groups == text_plan.groups


def test_first_item_lead_and_groups(plan):
    item = plan.items[0]
    assert item.lead_departments == ["区委宣传部"]
    assert item.co_departments == [] and item.lead_groups == []
    assert item.co_groups == ["towns", "committee_members"]


def test_lead_departments_with_others(plan):
    item = _item(plan, "每3年开展一次")
    assert item.lead_departments == ["区委组织部", "区委党校"]
    assert item.co_departments == ["区应急管理局"]


def test_no_artefacts(plan):
    assert not [d for d in plan.departments if "bookmark" in d]
    assert not [i for i in plan.items if "bookmark" in i.content + i.remark]
    item = _item(plan, "加强重点行业部门安全监管机构")  # its cell held "[bookmark: _GoBack]"
    assert item.lead_departments == ["区委编办"] and item.co_departments == ["区应急管理局"]
    last = plan.items[-1]
    assert last.remark == ""  # the page number "1" after the table is not a remark
    assert last.content.endswith("广泛开展形式多样的行业部门演练。")


def test_groups_resolved(plan):
    assert plan.groups == {"towns", "committee_members", "supervising", "all_departments", "related"}
    assert _item(plan, "乡镇政府、街道办事处").co_groups == ["towns"]
    assert _item(plan, "“三定”方案").co_groups == ["supervising"]
    same_time = _item(plan, "“三同时”要求")  # one line: a department and a group both lead
    assert same_time.lead_departments == ["区行政审批局"] and same_time.lead_groups == ["supervising"]
    assert _item(plan, "1+1+26").co_groups == ["related"]  # "和有关部门"
    assert "各镇" not in plan.departments and "开发区" not in plan.departments


def test_targets(plan):
    first = plan.items[0]
    assert (first.target_count, first.target_period_years, first.target_text) == (1, 1, "每年至少1次")
    every3 = _item(plan, "每3年开展一次")
    assert (every3.target_count, every3.target_period_years) == (1, 3)
    meetings = _item(plan, "每年不少于2次")
    assert (meetings.target_count, meetings.target_period_years) == (4, 1)
    assert meetings.target_text == "每年不少于4次"
    inspections = _item(plan, "明查暗访不少于6次")
    assert (inspections.target_count, inspections.target_text) == (6, "每年开展明查暗访不少于6次")
    assessment = _item(plan, "1年后组织整改情况评估")
    assert assessment.target_count is None and assessment.target_text is None
    term = _item(plan, "一届任期全面巡查全覆盖")  # a term of office: once in five years
    assert (term.target_count, term.target_period_years, term.target_text) == (1, 5, "一届任期")
    assert len([i for i in plan.items if i.target_count]) == 5


def test_rows_point_at_the_source(text_plan):
    assert text_plan.items[0].row == 14  # line of the first 具体内容 in the text copy
    xlsx = parse_tasklist(build_xlsx(sample_rows()), "a.xlsx")
    assert xlsx.items[0].row == 3  # title row, header row, then the first item


def test_parsing_is_deterministic():
    for fmt in FORMATS:
        data, name = _build(fmt)
        first, second = parse_tasklist(data, name), parse_tasklist(data, name)
        assert asdict(first) == asdict(second)
        assert [i.co_groups for i in first.items] == [i.co_groups for i in second.items]


# --- text variants ---------------------------------------------------------------------------


@pytest.mark.parametrize("encode", [
    lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
    lambda t: t.encode("gb18030"),
    lambda t: t.encode("utf-16"),
    lambda t: t.replace("\n", "\r\n").encode("utf-8"),
], ids=["utf8-bom", "gb18030", "utf16", "crlf"])
def test_text_encodings(encode, text_plan):
    assert _without_rows(parse_tasklist(encode(_sample_text()), "a.txt")) == _without_rows(text_plan)


def test_optional_columns_may_be_missing(text_plan):
    rows = sample_rows()
    keep = [rows[0].index(n) for n in ("目标项目", "目标任务", "具体内容", "责任部门")]
    plan = parse_tasklist(build_xlsx([[row[c] for c in keep] for row in rows]), "a.xlsx")
    assert [(i.project_no, i.task) for i in plan.items] == [(i.project_no, i.task) for i in text_plan.items]
    assert {i.remark for i in plan.items} == {""}


def test_merged_department_cell_applies_to_each_row():
    rows = sample_rows()
    workbook = openpyxl.load_workbook(io.BytesIO(build_xlsx(rows)))
    sheet = workbook.active
    first, last = 2 + 22, 2 + 25  # items 22..25 all read "区专治办和有关部门"
    for r in range(first + 1, last + 1):
        sheet.cell(r, 5).value = None
    sheet.merge_cells(start_row=first, start_column=5, end_row=last, end_column=5)
    plan = parse_tasklist(_resave(workbook), "a.xlsx")
    assert [i.lead_departments for i in plan.items[21:25]] == [["区专治办"]] * 4


# --- departments and targets ----------------------------------------------------------------


def test_department_names_are_normalised():
    result = parse_departments(" 区委办、区政府办、\n区委组织部(考核办)　、区委组织部（考核办）")
    assert result.lead_departments == ["区委办", "区政府办"]
    assert result.co_departments == ["区委组织部（考核办）"]


def test_group_phrases():
    assert GROUP_PHRASES["各地"][0] == GROUP_PHRASES["各镇、开发区、街道"][0] == "towns"
    assert GROUP_PHRASES["各安委会成员单位"] == ("committee_members", "安委会成员单位")
    assert GROUP_PHRASES["负有安全生产监督管理和行业管理职责的部门"][0] == "supervising"
    assert GROUP_PHRASES["各负有安全生产监督管理职责的部门"][0] == "supervising"
    assert GROUP_PHRASES["各部门"][0] == "all_departments"
    for phrase in ("区相关部门", "有关部门", "相关部门"):
        assert GROUP_PHRASES[phrase] == ("related", "区相关部门")
    lead = parse_departments("各部门、区应急管理局\n各镇，开发区，街道")
    assert (lead.lead_groups, lead.lead_departments, lead.co_groups) == (["all_departments"], ["区应急管理局"], ["towns"])


@pytest.mark.parametrize("text, expected", [
    ("每季度召开一次分析会", (4, 1)),
    ("每半年通报一次", (2, 1)),
    ("每两年组织一次演练", (1, 2)),
    ("每年开展不少于三次检查", (3, 1)),
    ("组织开展季度点评、年度考核", None),
])
def test_target_patterns(text, expected):
    target = find_target(text)
    assert (target and (target.count, target.period_years)) == expected


# --- bad files -------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b" \r\n\t\n", b"\xef\xbb\xbf\n"])
def test_empty_file(data):
    error = _error(data, "空.txt")
    assert "为空" in error.message and "空.txt" in error.message


@pytest.mark.parametrize("data", ["会议纪要\n\t姓名\n\t电话\n\n".encode(), b"\x89PNG\r\n\x1a\n\x00\x00binary"])
def test_not_a_task_list(data):
    error = _error(data, "纪要.txt")
    assert "不是目标任务清单" in error.message


def test_header_without_items():
    data = "清单\n\t序号\n\t目标项目\n\t目标任务\n\t具体内容\n\t责任部门\n\t备注\n\n".encode()
    assert _error(data, "a.txt").message == "第2行的表头下没有任何具体内容"


def test_text_without_content_column_names_the_header_line():
    data = _sample_text().replace("\t具体内容\n", "\t工作内容\n", 1).encode()
    error = _error(data, "a.txt")
    assert error.message == "第4行的表头缺少“具体内容”列" and error.row == 4


def test_xlsx_without_departments_column_names_sheet_and_row():
    rows = [row[:4] + row[5:] for row in sample_rows()]
    error = _error(build_xlsx(rows), "a.xlsx")
    assert error.message == "工作表“目标任务清单”第2行的表头缺少“责任部门”列"
    assert error.part == "工作表“目标任务清单”"


def test_docx_without_content_column():
    rows = [row[:3] + row[4:] for row in sample_rows()]
    assert "表格1第1行的表头缺少“具体内容”列" == _error(build_docx(rows), "a.docx").message


def _cfb(*streams: str) -> bytes:
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    return header + b"".join(s.encode("utf-16-le") + b"\x00" * 8 for s in streams)


def test_password_protected_office_file():
    error = _error(_cfb("EncryptionInfo", "EncryptedPackage"), "清单.xlsx")
    assert "密码" in error.message and "清单.xlsx" in error.message


def test_legacy_word_file():
    assert "旧版" in _error(_cfb("WordDocument"), "清单.doc").message


@pytest.mark.parametrize("build", [build_docx, build_xlsx], ids=["docx", "xlsx"])
def test_truncated_office_file(build):
    data = build(sample_rows())
    error = _error(data[: len(data) // 2], "清单")
    assert "已损坏" in error.message and "清单" in error.message


@pytest.mark.parametrize("build, member", [(build_docx, "word/document.xml"), (build_xlsx, "xl/workbook.xml")])
def test_corrupt_member_is_named(build, member):
    source = zipfile.ZipFile(io.BytesIO(build(sample_rows())))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, b"<broken" if info.filename == member else source.read(info))
    error = _error(out.getvalue(), "清单")
    assert member in error.message and error.part == member


def test_zip_that_is_no_office_document():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        target.writestr("readme.txt", "hello")
    assert "不是 Word" in _error(out.getvalue(), "a.zip").message


def test_text_row_without_departments_names_line_and_content():
    data = _sample_text().replace("\t区政府办\n\t\n", "\t\n\t\n", 1).encode()
    error = _error(data, "a.txt")
    assert error.row == 57
    assert error.message.startswith("第57行：具体内容“签订安全生产目标管理责任书")
    assert error.message.endswith("缺少责任部门")


@pytest.mark.parametrize("build, prefix", [
    (build_xlsx, "工作表“目标任务清单”第8行"), (build_docx, "表格1第7行"),
], ids=["xlsx", "docx"])
def test_office_row_without_departments(build, prefix):
    rows = sample_rows()
    rows[6][4] = ""  # item 6: 签订安全生产目标管理责任书
    error = _error(build(rows), "a")
    assert error.message.startswith(prefix + "：具体内容“签订安全生产目标管理责任书")


def test_departments_that_are_only_separators():
    rows = sample_rows()
    rows[6][4] = "、，"
    assert "缺少责任部门" in _error(build_xlsx(rows), "a.xlsx").message


def test_builders_make_real_merges():
    rows = sample_rows()
    document = zipfile.ZipFile(io.BytesIO(build_docx(rows))).read("word/document.xml").decode()
    assert 'w:vMerge w:val="restart"' in document and "<w:vMerge/>" in document
    sheet = openpyxl.load_workbook(io.BytesIO(build_xlsx(rows))).active
    ranges = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:F1", "A3:A13", "B3:B13", "C3:C4"} <= ranges


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.binary(max_size=400),
    st.binary(max_size=400).map(lambda b: b"PK\x03\x04" + b),
    st.binary(max_size=400).map(lambda b: b"\xd0\xcf\x11\xe0" + b),
    st.text(alphabet="\t\n 序号目标项目任务具体内容责任部门备注区委办、各地等1", max_size=300).map(str.encode),
))
def test_only_task_list_errors_for_bad_input(data):
    try:
        parse_tasklist(data, "random.bin")
    except TaskListError as error:
        assert error.message


def test_content_cell_spanning_two_rows_is_one_item(text_plan):
    rows = sample_rows()
    rows.insert(4, ["", "", "", "", "区应急管理局", "补充说明"])  # under item 3
    workbook = openpyxl.load_workbook(io.BytesIO(build_xlsx(rows)))
    workbook.active.merge_cells("D5:D6")  # item 3 is on row 5
    plan = parse_tasklist(_resave(workbook), "a.xlsx")
    assert len(plan.items) == 50
    assert plan.items[2].co_departments == ["区政府办", "区应急管理局"]
    assert plan.items[2].remark == "补充说明"


def test_header_repeated_on_a_new_page(text_plan):
    rows = sample_rows()
    rows.insert(22, list(rows[0]))  # before item 22, which starts project 3
    plan = parse_tasklist(build_xlsx(rows), "a.xlsx")
    assert _without_rows(plan) == _without_rows(text_plan)


@pytest.mark.parametrize("split_at", [22, 23], ids=["at-a-project", "inside-a-task"])
def test_word_table_continued_in_a_second_table(split_at, text_plan):
    plan = parse_tasklist(build_docx(sample_rows(), split_at=split_at), "a.docx")
    assert _without_rows(plan) == _without_rows(text_plan)
    assert plan.items[split_at - 1].row == 1  # first row of 表格2
