"""PDF rendering of printed records: text, fonts, determinism, pagination, safety."""
import base64
import gc
import io
import re
import subprocess
import xml.etree.ElementTree as ET
import zlib
from datetime import date, datetime, timezone

import pytest
from PIL import Image
from pypdf import PdfReader
from weasyprint import HTML

from workflow.platform.collector import gc_paused
from workflow.records import render as render_module
from workflow.records.render import (
    DataOnlyFetcher,
    fonttools_fallback_warning_seen,
    format_cn_date,
    last_render_warnings,
    qr_svg_data_uri,
    records_env,
    render_pdf,
    render_record_html,
    thumbnail_data_uri,
)

CREATED = datetime(2020, 3, 5, 2, 30, tzinfo=timezone.utc)
A4_WIDTH_PT = 595.28
RIGHT_MARGIN_PT = 26 / 25.4 * 72
HOSTILE = ('<script>alert(1)</script></td><img src="http://example.com/x.png"> '
           'url(http://x)')

FORM = """{% extends "records/base.html" %}
{% from "records/macros.html" import signature_rows %}
{% block content %}
<table>
  <tr><th class="label">隐患名称</th><td>{{ problem }}</td></tr>
  <tr><th class="label">整改要求</th><td>{{ requirement }}</td></tr>
  <tr><th class="label">核验码</th><td><img class="qr" src="{{ qr_svg_data_uri(number) }}"></td></tr>
</table>
{{ signature_rows(signatures) }}
{% endblock %}
"""

LEDGER = """{% extends "records/base.html" %}
{% block content %}
<table>
  <thead><tr><th>序号</th><th>隐患名称</th><th>责任部门</th><th>证据 SHA-256</th></tr></thead>
  <tbody>
  {% for i in range(rows) %}
    <tr><td>行{{ '%03d' % i }}起</td><td>{{ '配电箱未接地，现场整改。' * 4 }}</td>
        <td>区应急管理局</td><td>{{ sha }} 行{{ '%03d' % i }}止</td></tr>
  {% endfor %}
  </tbody>
</table>
{% endblock %}
"""


def _render_template(source, **context):
    return records_env().from_string(source).render(
        title="问题（隐患）交办单", number="武安委〔2020〕7号", issuer="常州市武进区安全生产委员会办公室",
        **context)


def _form_html(problem="配电箱未接地", requirement="立即整改，3个工作日内上报整改情况。"):
    return _render_template(FORM, problem=problem, requirement=requirement, signatures=[
        ("经办人", "张三", date(2020, 3, 5)), ("部门负责人", "李四", None)])


def _pdf(html, **kwargs):
    return render_pdf(html, identifier="CASE-2020-0007", created=CREATED,
                      title="问题（隐患）交办单", **kwargs)


def _squash(text):
    return re.sub(r"\s+", "", text)


def _pdftotext(pdf, *args):
    return subprocess.run(["pdftotext", *args, "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode("utf-8")


def _font_names(reader):
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


@pytest.fixture(scope="module")
def form_pdf():
    warnings = []
    pdf = _pdf(_form_html(), warnings=warnings)
    return pdf, warnings


@pytest.fixture(scope="module")
def ledger_pdf():
    html = _render_template(LEDGER, rows=60, sha="9f86d081884c7d659a2feaa0c55ad015" * 2)
    warnings = []
    pdf = _pdf(html, warnings=warnings)
    assert warnings == []
    return pdf


def test_chinese_text_read_back_with_pypdf(form_pdf):
    text = _squash("".join(p.extract_text() for p in PdfReader(io.BytesIO(form_pdf[0])).pages))
    for expected in ("问题（隐患）交办单", "编号：武安委〔2020〕7号", "配电箱未接地", "2020年3月5日"):
        assert expected in text


def test_chinese_text_read_back_with_pdftotext(form_pdf):
    text = _squash(_pdftotext(form_pdf[0]))
    assert "常州市武进区安全生产委员会办公室" in text
    assert "立即整改，3个工作日内上报整改情况。" in text
    assert "部门负责人" in text


def test_metadata(form_pdf):
    meta = PdfReader(io.BytesIO(form_pdf[0])).metadata
    assert meta.title == "问题（隐患）交办单"
    assert meta.creation_date == CREATED


def test_fonts_embedded_as_subsets(form_pdf):
    pdf = form_pdf[0]
    names = _font_names(PdfReader(io.BytesIO(pdf)))
    assert names
    assert all(re.fullmatch(r"/[A-Z]{6}\+Noto-Sans-CJK-SC(-Bold)?", n) for n in names), names
    # A full Noto Sans CJK face is over 16 MB; subsets of a form stay far below.
    assert len(pdf) < 1_000_000


def test_harfbuzz_subsetting_in_use(form_pdf):
    from weasyprint.text.ffi import harfbuzz_subset
    assert harfbuzz_subset is not None
    assert not fonttools_fallback_warning_seen(form_pdf[1])
    assert form_pdf[1] == []


def test_fonttools_warning_detected():
    assert fonttools_fallback_warning_seen(
        ['Using fontTools instead of HarfBuzz-Subset for font "Noto Sans CJK SC".'])


def test_warnings_collected_for_last_render():
    _pdf('<p style="color: nonsense">文</p><img src="file:///etc/hostname">')
    assert any("refused" in m for m in last_render_warnings())


def test_rerender_is_byte_identical(form_pdf):
    assert _pdf(_form_html()) == form_pdf[0]


def test_one_pass_font_subset_is_weasyprints_two_passes_byte_for_byte(monkeypatch):
    """render_pdf subsets fonts in one HarfBuzz pass; WeasyPrint's two give the same bytes."""
    passes = []

    def one_pass(font, to_unicode, hinting):
        content = real_one_pass(font, to_unicode, hinting)
        passes.append(content is not None)
        return content

    real_one_pass = render_module.one_pass_subset
    monkeypatch.setattr(render_module, "one_pass_subset", one_pass)
    # Chinese, Latin, digits, full-width punctuation and a glyph the font lacks (U+0378)
    html = _form_html(problem="配电箱未接地 Grounding missing 123，（整改）\u0378",
                      requirement=HOSTILE)
    document = HTML(string=html).render(font_config=render_module.font_config())
    with render_module.one_pass_fonts():
        ours = document.write_pdf(pdf_identifier=b"0" * 32, full_fonts=False)
    weasyprints = document.write_pdf(pdf_identifier=b"0" * 32, full_fonts=False)
    assert True in passes  # Noto Sans CJK at least
    assert ours == weasyprints
    assert "Grounding missing 123" in _pdftotext(ours)


def _streams(pdf):
    """Each stream of ``pdf`` as (its dictionary, its raw bytes as stored), read in file order
    and skipping over each stream's bytes by its /Length."""
    found, pos = [], 0
    head = re.compile(rb"\n\d+ 0 obj\n<<((?:(?!>>).)*)>>\s*stream\r?\n", re.S)
    while match := head.search(pdf, pos):
        length = int(re.search(rb"/Length (\d+)", match.group(1)).group(1))
        found.append((match.group(1), pdf[match.end():match.end() + length]))
        pos = match.end() + length
    return found


def test_streams_are_deflated_once_and_the_font_quickly(monkeypatch):
    """Inside render_pdf every stream is made once (pydyf made each twice for the /ID), and the
    font programs (the streams above QUICK_DEFLATE_BYTES) are deflated at level 1: the same
    content as pydyf's level 9, in more bytes; every other stream is pydyf's own."""
    made = []

    def counted(stream):
        made.append(id(stream))
        return real(stream)

    real = render_module._pydyf_stream_data
    monkeypatch.setattr(render_module, "_pydyf_stream_data", counted)
    document = HTML(string=_form_html()).render(font_config=render_module.font_config())
    with render_module.one_pass_fonts():
        plain = document.write_pdf(pdf_identifier=b"0" * 32, full_fonts=False)
    assert len(made) > len(set(made))  # outside: pydyf's property, each stream made twice
    made.clear()
    with render_module.one_pass_fonts(), render_module.once_deflated_streams():
        ours = document.write_pdf(pdf_identifier=b"0" * 32, full_fonts=False)
    assert made and len(made) == len(set(made))
    ours_streams, plain_streams = _streams(ours), _streams(plain)
    assert len(ours_streams) == len(plain_streams)
    quick = []
    for (extra, data), (plain_extra, plain_data) in zip(ours_streams, plain_streams):
        if b"/XRef" in extra:  # the cross-reference stream holds the objects' offsets
            continue
        if b"/FlateDecode" not in extra:
            assert data == plain_data
            continue
        assert zlib.decompress(data) == zlib.decompress(plain_data)
        if len(zlib.decompress(data)) > render_module.QUICK_DEFLATE_BYTES:
            quick.append(extra)
            assert data[:2] == b"\x78\x01" and len(data) > len(plain_data)  # level 1
        else:
            assert data == plain_data
    assert quick and all(b"/OpenType" in extra for extra in quick)  # the font programs
    assert "配电箱未接地" in _pdftotext(ours)
    assert PdfReader(io.BytesIO(ours)).trailer["/ID"][0] == "0" * 32


def test_render_pauses_garbage_collection_and_restores_it():
    assert gc.isenabled()
    seen = []
    with gc_paused():
        seen.append(gc.isenabled())
        with gc_paused():  # a second render in another thread shares the pause
            seen.append(gc.isenabled())
        seen.append(gc.isenabled())
    assert seen == [False, False, False] and gc.isenabled()
    with pytest.raises(ZeroDivisionError), gc_paused():
        1 / 0
    assert gc.isenabled()
    _pdf(_form_html())
    assert gc.isenabled()
    gc.disable()
    try:
        _pdf(_form_html())
        assert not gc.isenabled()  # a caller's own choice is kept
    finally:
        gc.enable()


def test_identifier_changes_output(form_pdf):
    other = render_pdf(_form_html(), identifier="CASE-2020-0008", created=CREATED,
                       title="问题（隐患）交办单")
    assert other != form_pdf[0]


def test_page_numbers_on_two_pages():
    html = _render_template(FORM.replace("{% block content %}", "{% block content %}"
                                         '<p>正文</p><div style="break-after: page"></div>'),
                            problem="配电箱未接地", requirement="整改", signatures=[])
    pdf = _pdf(html)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    assert "第1页共2页" in _squash(_pdftotext(pdf, "-f", "1", "-l", "1"))
    assert "第2页共2页" in _squash(_pdftotext(pdf, "-f", "2", "-l", "2"))


def test_thead_repeats_and_rows_stay_whole(ledger_pdf):
    pages = len(PdfReader(io.BytesIO(ledger_pdf)).pages)
    assert pages >= 3
    for number in range(1, pages + 1):
        text = _squash(_pdftotext(ledger_pdf, "-f", str(number), "-l", str(number)))
        assert "序号隐患名称责任部门证据SHA-256" in text
        starts = set(re.findall(r"行(\d{3})起", text))
        ends = set(re.findall(r"行(\d{3})止", text))
        assert starts and starts == ends, f"a row is split on page {number}"


def test_long_words_wrap_inside_the_page(ledger_pdf):
    bbox = _pdftotext(ledger_pdf, "-bbox")
    x_max = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', bbox))
    assert x_max <= A4_WIDTH_PT - RIGHT_MARGIN_PT + 1




@pytest.fixture
def fetched(monkeypatch):
    urls = []
    original = DataOnlyFetcher.fetch

    def spy(self, url, headers=None):
        urls.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(DataOnlyFetcher, "fetch", spy)
    return urls


def test_user_text_prints_literally_and_fetches_nothing(http_trap, fetched):
    base, hits = http_trap
    hostile = HOSTILE + f' <img src="{base}/u.png"> <style>@import "{base}/u.css";</style>'
    html = _form_html(problem=hostile)
    assert "<script>" not in html and "&lt;script&gt;" in html
    warnings = []
    text = _squash(_pdftotext(_pdf(html, warnings=warnings)))
    assert _squash(HOSTILE) in text
    assert hits == []
    assert fetched and all(url.startswith("data:") for url in fetched)  # the QR code only
    assert warnings == []


def test_references_in_markup_are_refused(http_trap, fetched):
    base, hits = http_trap
    html = (f'<link rel="stylesheet" href="{base}/a.css"><p>文字</p>'
            f'<img src="{base}/a.png"><div style="background: url({base}/b.png)">背景</div>'
            '<img src="file:///etc/passwd">')
    warnings = []
    _pdf(html, warnings=warnings, base_url=base + "/")
    assert hits == []
    refused = [url for url in fetched if not url.startswith("data:")]
    assert len(refused) == 4
    assert sum("refused" in m for m in warnings) == 4


def test_qr_data_uri_is_svg():
    uri = qr_svg_data_uri("SL-2020-0007 sha256:9f86d081")
    prefix = "data:image/svg+xml;base64,"
    assert uri.startswith(prefix)
    root = ET.fromstring(base64.b64decode(uri[len(prefix):]))
    assert root.tag.endswith("svg")
    assert qr_svg_data_uri("SL-2020-0007 sha256:9f86d081") == uri


def _jpeg_from(uri):
    prefix = "data:image/jpeg;base64,"
    assert uri.startswith(prefix)
    image = Image.open(io.BytesIO(base64.b64decode(uri[len(prefix):])))
    assert image.format == "JPEG"
    return image


def test_thumbnail_of_png():
    out = io.BytesIO()
    Image.new("RGBA", (1000, 500), (200, 30, 30, 128)).save(out, "PNG")
    assert _jpeg_from(thumbnail_data_uri(out.getvalue())).size == (240, 120)
    assert _jpeg_from(thumbnail_data_uri(out.getvalue(), max_px=100)).size == (100, 50)


def test_thumbnail_respects_exif_orientation():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when displayed, as phones store portraits
    out = io.BytesIO()
    Image.new("RGB", (800, 400), "blue").save(out, "JPEG", exif=exif)
    assert _jpeg_from(thumbnail_data_uri(out.getvalue())).size == (120, 240)


@pytest.mark.parametrize("data", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\0" * 40])
def test_thumbnail_of_garbage_is_none(data):
    assert thumbnail_data_uri(data) is None


def test_thumbnail_embeds_in_pdf():
    out = io.BytesIO()
    Image.new("RGB", (640, 480), "green").save(out, "PNG")
    warnings = []
    _pdf(f'<p>现场照片</p><img class="thumb" src="{thumbnail_data_uri(out.getvalue())}">',
         warnings=warnings)
    assert warnings == []


@pytest.mark.parametrize("value, expected", [
    (date(2020, 3, 5), "2020年3月5日"),
    (date(2020, 12, 31), "2020年12月31日"),
    (datetime(2020, 3, 4, 17, 0, tzinfo=timezone.utc), "2020年3月5日"),
    (datetime(2020, 3, 4, 17, 0), "2020年3月5日"),  # naive instants are UTC
    (None, ""),
])
def test_format_cn_date(value, expected):
    assert format_cn_date(value) == expected


def test_base_template_and_signature_rows():
    html = render_record_html("records/base.html", title="延期整改审批意见书", number="YQ-1",
                              issuer="")
    assert "<h1>延期整改审批意见书</h1>" in html and "编号：YQ-1" in html
    rows = records_env().from_string(
        '{% from "records/macros.html" import signature_rows %}{{ signature_rows(r) }}'
    ).render(r=[("审批人", "王五<b>", date(2020, 3, 5)), ("经办人", None, None)])
    assert "王五&lt;b&gt;" in rows and "2020年3月5日" in rows
    assert rows.count("<tr>") == 2
