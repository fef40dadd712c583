"""Import and image bombs: wall time and peak memory of reading each one.

    python -m bench.bombs [--tree PATH] [--cap-mb 4096] [--timeout 120]

Each bomb (built by tests/bombs.py) is read in a fresh process whose address space is
capped (``RLIMIT_AS``, so a blow-up ends in MemoryError instead of taking the machine) and
whose run is cut at ``--timeout``. ``--tree`` runs the readers of another checkout (e.g. an
older release) on the same files, for a before/after comparison. Peak memory is the
child's maximum resident set (``wait4``), baseline included (about 60–90 MB for the
interpreter and the libraries).
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tests import bombs

ROOT = Path(__file__).resolve().parent.parent

CASES = [
    ("problem", "problem-dimension.xlsx", bombs.problem_dimension_bomb),
    ("problem", "problem-merge.xlsx", bombs.problem_merge_bomb),
    ("problem", "problem-sheet-190MB.xlsx", bombs.sheet_xml_bomb),
    ("tasklist", "tasklist-merge.xlsx", bombs.tasklist_merge_bomb),
    ("tasklist", "tasklist-dimension.xlsx", bombs.tasklist_dimension_bomb),
    ("tasklist", "tasklist-sheet-190MB.xlsx", bombs.sheet_xml_bomb),
    ("tasklist", "tasklist-span.docx", bombs.docx_span_bomb),
    ("image", "photo-13000.png", bombs.png_bomb),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", type=Path, default=ROOT)
    ap.add_argument("--cap-mb", type=int, default=4096)
    ap.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    print(f"readers of {args.tree}; memory cap {args.cap_mb} MB, timeout {args.timeout:g} s")
    print(f"{'bomb':28} {'file':>9} {'seconds':>8} {'peak MB':>8}  outcome")
    with tempfile.TemporaryDirectory() as tmp:
        for kind, name, build in CASES:
            path = Path(tmp) / name
            path.write_bytes(build())
            outcome, seconds, peak = bombs.read_in_child(args.tree, kind, path, args.cap_mb,
                                                         args.timeout)
            print(f"{name:28} {path.stat().st_size / 1024:8.0f}K {seconds:8.2f} {peak:8.0f}  {outcome}")


if __name__ == "__main__":
    main()
