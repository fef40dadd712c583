"""SVG charts of the 考核 dashboard, laid out here on the server.

They read without JavaScript, print, and need nothing beyond the app's own CSS
(CSP script-src 'self', no inline style): each function returns the coordinates
the template draws.
"""
from __future__ import annotations

from workflow.assessment.figures import BUCKET_LABELS, BUCKETS

PALETTE = {"a": "#b42318", "b": "#1d4ed8", "c": "#b7791f", "muted": "#9aa5b1"}


def pct(v) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def hbar_chart(rows: list[dict], series: list[tuple[str, str, str]], *, width=640,
               label_width=150, bar_h=12, gap=10, fraction=True) -> dict:
    """Horizontal grouped bars: one group per row, one bar per (key, label, colour) series."""
    plot_w = width - label_width - 70
    values = [r.get(k) or 0 for r in rows for k, _l, _c in series]
    top = 1.0 if fraction else max(values + [1])
    group_h = len(series) * bar_h + gap
    height = 30 + len(rows) * group_h + 10
    groups = []
    for i, r in enumerate(rows):
        y0 = 30 + i * group_h
        bars = []
        for j, (key, label, colour) in enumerate(series):
            v = r.get(key)
            w = 0 if v is None else max(1.0, plot_w * v / top) if v else 0
            bars.append({"x": label_width, "y": y0 + j * bar_h, "w": round(w, 1), "h": bar_h - 2,
                         "colour": colour, "text": pct(v) if fraction else str(v if v is not None else "—"),
                         "tx": label_width + w + 4, "ty": y0 + j * bar_h + bar_h - 3,
                         "title": f"{r['label']} {label}：{pct(v) if fraction else v}"})
        groups.append({"label": r["label"], "ly": y0 + len(series) * bar_h / 2 + 4, "bars": bars})
    legend = [{"x": label_width + i * 150, "label": label, "colour": colour}
              for i, (_k, label, colour) in enumerate(series)]
    return {"width": width, "height": height, "groups": groups, "legend": legend,
            "label_width": label_width, "axis_x": label_width, "axis_y2": height - 10}


def trend_chart(points: list[dict], *, width=640, height=240) -> dict:
    """Monthly registered / closed bars with the 整改率 as a line (right axis 0–100%)."""
    left, right, top, bottom = 40, 50, 30, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(points), 1)
    slot = plot_w / n
    peak = max([p["registered"] for p in points] + [1])
    bars, line = [], []
    for i, p in enumerate(points):
        x = left + i * slot
        bw = max(4.0, slot / 3 - 2)
        for j, (key, colour) in enumerate((("registered", PALETTE["b"]), ("closed", PALETTE["a"]))):
            h = plot_h * p[key] / peak
            bars.append({"x": round(x + slot / 6 + j * (bw + 2), 1), "y": round(top + plot_h - h, 1),
                         "w": round(bw, 1), "h": round(h, 1), "colour": colour,
                         "title": f"{p['label']} {'挂号' if key == 'registered' else '销号'} {p[key]} 件"})
        if p["rectification_rate"] is not None:
            line.append((round(x + slot / 2, 1), round(top + plot_h * (1 - p["rectification_rate"]), 1)))
    labels = [{"x": round(left + i * slot + slot / 2, 1), "text": p["label"]} for i, p in enumerate(points)]
    return {"width": width, "height": height, "bars": bars, "labels": labels,
            "line": " ".join(f"{x},{y}" for x, y in line), "dots": line, "top": top,
            "base": top + plot_h, "left": left, "right": width - right, "peak": peak,
            "label_y": height - 10}


def bucket_chart(buckets: dict, *, width=640) -> dict:
    rows = [{"label": BUCKET_LABELS[b], "n": buckets[b]} for b in BUCKETS]
    return hbar_chart(rows, [("n", "逾期事项数", PALETTE["a"])], width=width, label_width=110,
                      bar_h=22, fraction=False)

