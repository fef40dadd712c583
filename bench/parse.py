"""CPU time of parsing a task list (parse_tasklist), per format and size.

    python -m bench.parse [--tree PATH] [--runs 3]

The files: the real 2020 list (text copy) and the generated list of bench/import.py
(``generated_list``) at 1,000 and 5,000 items as .xlsx, and the same rows as .docx (one
Word table) and as the tab-prefixed text copy. Each parse runs in a fresh process, after
one parse of the 2020 list in each format (so the libraries' imports and first-use set-up are
not counted, as in a server that has read a list before, but nothing of the file measured is
cached); the best of ``--runs`` such processes is printed (``time.process_time``). ``--tree`` adds
another checkout (e.g. /work/main, the code before a change): its figures are printed beside
this tree's with the ratio, measured in the same run. Goal: the 5,000-item .xlsx in <= 1 s
of CPU. The load average is printed, as the machine may be shared.
"""
from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

from tests.tasklist_builders import build_docx, build_xlsx, sample_rows

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "wujin-2020-task-list.txt"
GOAL_SECONDS = 1.0

CHILD = r"""
import json, sys, time
from workflow.tasklist import parse_tasklist
*samples, path = sys.argv[1:]
for sample in samples:  # imports and first-use set-up, each format
    parse_tasklist(open(sample, "rb").read(), sample)
data = open(path, "rb").read()
start = time.process_time()
items = len(parse_tasklist(data, path.rsplit("/", 1)[-1]).items)
print(json.dumps([time.process_time() - start, items]))
"""


def generated_rows(items: int) -> list[list[str]]:
    """The generated .xlsx list's header and rows, as cell texts."""
    generated_list = importlib.import_module("bench.import").generated_list
    sheet = openpyxl.load_workbook(io.BytesIO(generated_list(items)), read_only=True).active
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    return rows[1:]  # the title row is the document's title


def text_copy(rows: list[list[str]], title: str) -> bytes:
    """The tab-prefixed text copy: a tab starts each cell, a blank line ends each row."""
    lines = [title, ""]
    for row in rows:
        for cell in row:
            first, *more = cell.split("\n")
            lines += ["\t" + first, *more]
        lines.append("")
    return "\n".join(lines).encode()


def files(folder: Path) -> list[tuple[str, Path]]:
    generated_list = importlib.import_module("bench.import").generated_list
    out = [("2020 list (.txt, 50 items)", SAMPLE)]
    for items in (1000, 5000):
        rows = generated_rows(items)
        for label, name, data in (
            ("xlsx", f"generated-{items}.xlsx", generated_list(items)),
            ("docx", f"generated-{items}.docx", build_docx(rows, "生成的目标任务清单", merge=False)),
            ("txt", f"generated-{items}.txt", text_copy(rows, "生成的目标任务清单")),
        ):
            path = folder / name
            path.write_bytes(data)
            out.append((f"generated .{label}, {items:,} items", path))
    return out


def warm_up_files(folder: Path) -> list[Path]:
    """The 2020 list as text, .xlsx and .docx: parsed first in every process."""
    rows = sample_rows()
    (folder / "sample.xlsx").write_bytes(build_xlsx(rows))
    (folder / "sample.docx").write_bytes(build_docx(rows))
    return [SAMPLE, folder / "sample.xlsx", folder / "sample.docx"]


def measure(tree: Path, paths: list[Path], runs: int, warm: list[Path]) -> dict[str, tuple[float, int]]:
    """Path → (the least CPU seconds of ``runs`` parses, each in a fresh process; items)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out: dict[str, tuple[float, int]] = {}
    for path in paths:
        for _ in range(runs):
            done = subprocess.run([sys.executable, "-c", CHILD, *map(str, warm), str(path)], cwd=tree,
                                  env=env, capture_output=True, text=True, check=True)
            cpu, items = json.loads(done.stdout)
            out[str(path)] = (min(cpu, out.get(str(path), (cpu,))[0]), items)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", type=Path, help="another checkout to compare with")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cases, warm = files(Path(tmp)), warm_up_files(Path(tmp))
        paths = [path for _, path in cases]
        here = measure(ROOT, paths, args.runs, warm)
        there = measure(args.tree, paths, args.runs, warm) if args.tree else None
        load = os.getloadavg()[0]
    head = f"{'file':34} {'items':>6} {'CPU s':>7} {'ms/1,000 items':>15}"
    print(head + (f" {'other tree':>11} {'ratio':>6}" if there else ""))
    for label, path in cases:
        cpu, items = here[str(path)]
        line = f"{label:34} {items:6d} {cpu:7.3f} {cpu * 1e6 / items:15.0f}"
        if there:
            other = there[str(path)][0]
            line += f" {other:11.3f} {other / cpu:5.1f}x"
        print(line)
    big = here[str(next(p for label, p in cases if "xlsx, 5,000" in label))][0]
    print(f"5,000-item .xlsx parsed in {big:.2f} s of CPU (goal <= {GOAL_SECONDS:g} s: "
          f"{'met' if big <= GOAL_SECONDS else 'MISSED'}); load average {load:.1f} on "
          f"{os.cpu_count()} cores" + (f"; other tree: {args.tree}" if there else ""))


if __name__ == "__main__":
    main()
