"""Rendered records kept on disk, addressed by everything that decides their bytes.

A record renders to the same bytes from the same inputs (``render.render_pdf``: the PDF
identifier and dates come from the case's chain, not the clock). So a closure report asked
for again — an auditor's second look, the same record in a batch export — can be handed
back from disk instead of laid out again (0.3–0.5 s of CPU each). The key is a SHA-256 of the
HTML, the metadata and the renderer itself (WeasyPrint's and pydyf's versions, our render
code and print CSS, the font files Fontconfig lists), so any change in what is printed or
how gives a new key and a fresh render; a stale record cannot be served.

Files live in one directory shared by the worker processes (written to a temporary name,
then renamed, so a reader sees a whole file or none). The directory is kept under
``max_bytes`` by dropping the least recently used files. A cache that cannot be read or
written is skipped: the record is rendered as without it.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import subprocess
import threading
from pathlib import Path

log = logging.getLogger(__name__)
_HERE = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=1)
def renderer_identity() -> str:
    """What of this machine decides a record's bytes besides its inputs (once per process)."""
    import pydyf
    import weasyprint
    from weasyprint.text.ffi import harfbuzz_subset

    digest = hashlib.sha256()
    for part in (weasyprint.__version__, getattr(pydyf, "__version__", ""),
                 harfbuzz_subset is not None):
        digest.update(str(part).encode() + b"\0")
    try:  # the shaping and layout libraries this process loaded (Pango, HarfBuzz, FreeType …)
        libs = {line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines()
                if any(k in line for k in ("libpango", "libharfbuzz", "libfreetype",
                                           "libfontconfig", "libcairo"))}
    except OSError:
        libs = set()
    for path in sorted(libs):
        with contextlib.suppress(OSError):
            st = os.stat(path)
            digest.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    for name in ("render.py", "print.css"):
        digest.update((_HERE / name).read_bytes())
    try:
        listed = subprocess.run(["fc-list", "--format", "%{file}\n"], capture_output=True,
                                text=True, timeout=20, check=True).stdout.split()
        for path in sorted(set(listed)):
            try:
                st = os.stat(path)
            except OSError:
                continue
            digest.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    except (OSError, subprocess.SubprocessError):
        # fonts unknown: a key of this process alone, so nothing is shared or reused across runs
        digest.update(os.urandom(16))
    return digest.hexdigest()


class RenderCache:
    def __init__(self, directory: str | os.PathLike, max_bytes: int) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self._writes = 0
        self._lock = threading.Lock()

    @staticmethod
    def key(html: str, **meta) -> str:
        digest = hashlib.sha256(renderer_identity().encode())
        digest.update(json.dumps(meta, sort_keys=True, default=str, ensure_ascii=False).encode())
        digest.update(html.encode("utf-8"))
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.pdf"

    def get(self, key: str) -> tuple[bytes, list[str]] | None:
        """The record's bytes and its render warnings, or None."""
        path = self._path(key)
        try:
            blob = path.read_bytes()
            os.utime(path)  # recently used: kept longest
        except OSError:
            return None
        head, sep, pdf = blob.partition(b"\n")
        if not sep or not pdf.startswith(b"%PDF-"):
            return None
        try:
            warnings = json.loads(head)
        except ValueError:
            return None
        if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
            return None  # not a file this cache wrote
        return pdf, warnings

    def put(self, key: str, pdf: bytes, warnings: list[str]) -> None:
        path = self._path(key)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(json.dumps(list(warnings), ensure_ascii=False).encode() + b"\n" + pdf)
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("record not kept in %s: %s", self.directory, exc)
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            return
        with self._lock:
            self._writes += 1
            due = self._writes % 20 == 1
        if due:
            self.prune()

    def prune(self) -> None:
        """Drop the least recently used files until the directory fits ``max_bytes``."""
        files = []
        try:
            for sub in self.directory.iterdir():
                if sub.is_dir():
                    for f in sub.iterdir():
                        if f.name.startswith("."):
                            continue  # being written
                        try:
                            st = f.stat()
                        except OSError:
                            continue
                        files.append((st.st_mtime, st.st_size, f))
        except OSError:
            return
        total = sum(size for _, size, _ in files)
        for _, size, f in sorted(files, key=lambda x: x[0]):
            if total <= self.max_bytes:
                break
            f.unlink(missing_ok=True)
            total -= size
