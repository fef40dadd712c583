"""The audit-chain stamp printed on every record, and how to read it back.

A record carries the chain head of each case it shows three times: in the PDF
Info dictionary (/SafeLoopChain, JSON), in /Keywords, and as visible text. The
printed form speaks the reader's language: an 电子校验码 line (``code``, the
first 16 hex digits of the head in groups of four) next to the QR code, and a
footnote ``〔<number>〕第<n>次记录，全码<hex>`` (``printed``, the text the QR code
holds), so a paper copy scanned back to PDF can still be checked by its text.
Records printed before carry ``SafeLoop|<number>|seq=<n>|sha256=<hex>``; both
forms are read back.
"""
from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError

from workflow.core.audit import GENESIS

METADATA_KEY = "SafeLoopChain"
_TEXT_STAMP = re.compile(r"SafeLoop\|([^|\s]{1,60})\|seq=(\d{1,9})\|sha256=([0-9a-f]{64})")
_PRINTED_STAMP = re.compile(r"〔([^〔〕\s]{1,60})〕第(\d{1,9})次记录，?全码([0-9a-f]{64})")


def short_code(hex_digest: str) -> str:
    """The 电子校验码 printed for a hash: its first 16 hex digits, upper case, in fours."""
    head = hex_digest[:16].upper()
    return "-".join(head[i:i + 4] for i in range(0, len(head), 4))


# Bounds on the work one uploaded record may cost (settings VERIFY_MAX_STAMPS / _PAGES)
MAX_STAMPS = 2000
MAX_TEXT_PAGES = 500


class UnreadableRecord(Exception):
    """The file is not a PDF, or carries no chain stamp."""


class RefusedRecord(UnreadableRecord):
    """A PDF refused before it is checked: encrypted, or beyond a stated limit."""


@dataclass(frozen=True)
class ChainStamp:
    number: str
    seq: int
    head: str
    case_id: int | None = None

    @classmethod
    def of(cls, case) -> ChainStamp:
        """The stamp of ``case`` as it is now (head of its audit chain)."""
        return cls(number=case.display_number, seq=case.audit_seq or 0,
                   head=case.audit_head or GENESIS, case_id=case.id)

    @property
    def text(self) -> str:
        """The visible and QR form: number, event count and head hash."""
        return f"SafeLoop|{self.number}|seq={self.seq}|sha256={self.head}"

    @property
    def code(self) -> str:
        """The short 电子校验码 of the head, e.g. ``3F9A-2C1B-7D4E-90AA``."""
        return short_code(self.head)

    @property
    def printed(self) -> str:
        """The footnote and QR form: number, event count and the full head."""
        return f"〔{self.number}〕第{self.seq}次记录，全码{self.head}"

    def to_json(self) -> dict:
        return {"id": self.case_id, "number": self.number, "seq": self.seq, "head": self.head}


def metadata_for(stamps: list[ChainStamp]) -> dict:
    """Keyword arguments for ``render_pdf`` that embed ``stamps``."""
    payload = json.dumps({"v": 1, "cases": [s.to_json() for s in stamps]},
                         separators=(",", ":"), ensure_ascii=True)
    keywords = ["SafeLoop"] + ([stamps[0].text] if len(stamps) == 1 else [])
    return {"custom": {METADATA_KEY: payload}, "keywords": keywords}


def read_stamps(data: bytes, *, max_stamps: int = MAX_STAMPS,
                max_pages: int = MAX_TEXT_PAGES) -> list[ChainStamp]:
    """Read the chain stamps of a record PDF (metadata first, then its text).

    Raises ``RefusedRecord`` for an encrypted PDF, one beyond pypdf's parsing limits, more
    than ``max_stamps`` stamps or (without metadata) more than ``max_pages`` pages to read;
    ``UnreadableRecord`` for anything else that is not a stamped record.
    """
    if not data.startswith(b"%PDF-"):
        raise UnreadableRecord("文件不是 PDF")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise RefusedRecord("PDF 已加密，无法核验：请上传本系统印制的未加密记录")
        info = reader.metadata or {}
        raw = info.get("/" + METADATA_KEY)
        if raw:
            stamps = _from_json(str(raw), max_stamps)
            if stamps:
                return stamps
        if len(reader.pages) > max_pages:
            raise RefusedRecord(f"PDF 超过 {max_pages} 页且没有核验元数据，不逐页读取"
                                f"（上限 VERIFY_MAX_PAGES = {max_pages}）")
        text = re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in reader.pages))
    except UnreadableRecord:
        raise
    except (FileNotDecryptedError, DependencyError):
        raise RefusedRecord("PDF 已加密，无法核验：请上传本系统印制的未加密记录") from None
    except LimitReachedError as exc:
        raise RefusedRecord(f"PDF 超出解析上限，无法核验：{exc}") from None
    except Exception as exc:
        # pypdf on hostile input fails in many ways (IndexError, struct.error, zlib.error …);
        # every one of them means "this upload is not a readable record", never a crash
        raise UnreadableRecord(f"PDF 无法读取：{type(exc).__name__}") from None
    seen, stamps = set(), []
    for number, seq, head in _PRINTED_STAMP.findall(text) + _TEXT_STAMP.findall(text):
        stamp = ChainStamp(number=number, seq=int(seq), head=head)
        if stamp not in seen:
            seen.add(stamp)
            stamps.append(stamp)
            _check_count(len(stamps), max_stamps)
    if not stamps:
        raise UnreadableRecord("文件中没有审计链核验信息（不是本系统生成的记录，或文字无法提取）")
    return stamps


def _check_count(count: int, max_stamps: int) -> None:
    if count > max_stamps:
        raise RefusedRecord(f"记录中的审计链印记超过 {max_stamps} 个，不予核验"
                            f"（上限 VERIFY_MAX_STAMPS = {max_stamps}）")


def _from_json(raw: str, max_stamps: int = MAX_STAMPS) -> list[ChainStamp]:
    try:
        payload = json.loads(raw)
        cases = payload["cases"]
        if not isinstance(cases, list):
            return []
    except (ValueError, KeyError, TypeError, RecursionError):
        return []
    _check_count(len(cases), max_stamps)  # refused before any is checked
    try:
        out = []
        for item in cases:
            head = str(item["head"])
            if not re.fullmatch(r"[0-9a-f]{64}", head):
                raise ValueError(head)
            case_id = item.get("id")
            out.append(ChainStamp(number=str(item["number"])[:60], seq=int(item["seq"]), head=head,
                                  case_id=case_id if isinstance(case_id, int) else None))
        return out
    except (ValueError, KeyError, TypeError, AttributeError):
        return []
