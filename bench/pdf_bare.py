"""Compare a bare WeasyPrint render with render_pdf of a one-page form.

Run from the repository root: python -m bench.pdf_bare [repeat]
"""
import statistics
import sys
import time
from datetime import date, datetime, timezone

from weasyprint import HTML

from workflow.records.render import qr_svg_data_uri, records_env, render_pdf

BARE_HTML = ('<html lang="zh-CN" style="font-family: \'Noto Sans CJK SC\'">'
             '<p>隐患整改通知书：配电箱未接地，立即整改。</p></html>')

FORM = """{% extends "records/base.html" %}
{% from "records/macros.html" import signature_rows %}
{% block content %}
<table>
  <tr><th class="label">隐患名称</th><td>配电箱未接地，电缆敷设不规范</td></tr>
  <tr><th class="label">责任部门</th><td>区应急管理局（牵头），区住建局（配合）</td></tr>
  <tr><th class="label">整改要求</th><td>立即整改，3个工作日内上报整改情况及佐证材料。</td></tr>
  <tr><th class="label">核验码</th><td><img class="qr" src="{{ qr }}"></td></tr>
</table>
{{ signature_rows([("经办人", "张三", today), ("部门负责人", "李四", None)]) }}
{% endblock %}
"""


def bare_render() -> bytes:
    """Render a minimal Chinese page with WeasyPrint defaults."""
    return HTML(string=BARE_HTML).write_pdf()


def form_render() -> bytes:
    """Render a one-page rectification notice through render_pdf."""
    html = records_env().from_string(FORM).render(
        title="隐患整改通知书", number="武安委〔2020〕7号", issuer="常州市武进区安全生产委员会办公室",
        qr=qr_svg_data_uri("SL-2020-0007"), today=date(2020, 3, 5))
    return render_pdf(html, identifier="SL-2020-0007", title="隐患整改通知书",
                      created=datetime(2020, 3, 5, tzinfo=timezone.utc))


def measure(render, repeat: int) -> tuple[float, int]:
    """Return the median seconds of `repeat` renders and the PDF size."""
    render()  # font discovery and CSS parsing happen once per process
    times, size = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        size = len(render())
        times.append(time.perf_counter() - start)
    return statistics.median(times), size


def main(repeat: int = 15) -> None:
    bare_s, bare_size = measure(bare_render, repeat)
    form_s, form_size = measure(form_render, repeat)
    print(f"repeat={repeat}")
    print(f"bare WeasyPrint   median {bare_s * 1000:7.1f} ms  size {bare_size / 1024:7.1f} KiB")
    print(f"render_pdf form   median {form_s * 1000:7.1f} ms  size {form_size / 1024:7.1f} KiB")
    print(f"ratio form/bare   time {form_s / bare_s:5.2f}x  size {form_size / bare_size:5.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
