"""Compare a one-page form through render_pdf with bare WeasyPrint renders.

Run from the repository root: python -m bench.pdf_bare [repeat]

Goal: a record renders in at most 3x the CPU time of a bare WeasyPrint render. The bare
renders are ``HTML(string=...).write_pdf()`` with every WeasyPrint default, of the one-line
page bench/pdf.py also uses, and of the very same form HTML with print.css. All three are
timed interleaved, one of each per round, in CPU seconds of this process (medians).
"""
import gc
import os
import statistics
import sys
import time
from datetime import date, datetime, timezone

from weasyprint import CSS, HTML

from workflow.records.render import PRINT_CSS_PATH, qr_svg_data_uri, records_env, render_pdf

GOAL_RATIO = 3.0

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


class Timed:
    """CPU and wall seconds of each call of ``render``, and its last output."""

    def __init__(self, render):
        self.render, self.cpu, self.wall, self.out = render, [], [], b""

    def __call__(self):
        # Start every render from an empty collector: no render pays for another's garbage.
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        self.out = self.render()
        self.cpu.append(time.process_time() - cpu)
        self.wall.append(time.perf_counter() - wall)

    @property
    def cpu_s(self):
        return statistics.median(self.cpu)

    @property
    def wall_s(self):
        return statistics.median(self.wall)


def measure(renders: dict, repeat: int) -> dict:
    """Time every render ``repeat`` times, interleaved (one of each per round)."""
    timed = {name: Timed(render) for name, render in renders.items()}
    for render in renders.values():
        render()  # font discovery and CSS parsing happen once per process
    for _ in range(repeat):
        for t in timed.values():
            t()
    return timed


def load() -> str:
    return ("load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())
            + f" (1/5/15 min) on {os.cpu_count()} cores")


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def form_html() -> str:
    return records_env().from_string(FORM).render(
        title="隐患整改通知书", number="武安委〔2020〕7号", issuer="常州市武进区安全生产委员会办公室",
        qr=qr_svg_data_uri("SL-2020-0007"), today=date(2020, 3, 5))


def bare_render() -> bytes:
    """Render a minimal Chinese page with WeasyPrint defaults."""
    return HTML(string=BARE_HTML).write_pdf()


def form_render() -> bytes:
    """Render a one-page rectification notice through render_pdf."""
    return render_pdf(form_html(), identifier="SL-2020-0007", title="隐患整改通知书",
                      created=datetime(2020, 3, 5, tzinfo=timezone.utc))


def main(repeat: int = 15) -> None:
    html = form_html()
    print(f"repeat={repeat}  {load()}")
    timed = measure({
        "bare": bare_render,
        "same": lambda: HTML(string=html).write_pdf(stylesheets=[CSS(filename=PRINT_CSS_PATH)]),
        "form": form_render}, repeat)
    print(f"{'':32s} {'CPU ms':>8s} {'wall ms':>8s} {'KB':>7s}")
    for label, key in (("bare WeasyPrint, one-line page", "bare"),
                       ("bare WeasyPrint, same form", "same"), ("render_pdf form", "form")):
        t = timed[key]
        print(f"{label:32s} {t.cpu_s * 1000:8.1f} {t.wall_s * 1000:8.1f} {len(t.out) / 1000:7.1f}")
    form = timed["form"]
    print(f"goal: render_pdf form <= {GOAL_RATIO:g}x a bare WeasyPrint render, CPU time")
    for label, key in (("one-line page", "bare"), ("same form", "same")):
        ratio = form.cpu_s / timed[key].cpu_s
        print(f"  vs bare {label:14s} {ratio:5.2f}x  {verdict(ratio <= GOAL_RATIO)}  "
              f"(wall {form.wall_s / timed[key].wall_s:.2f}x)")
    print(f"after the renders: {load()}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
