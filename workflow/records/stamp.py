"""The audit-chain stamp printed on every record, and how to read it back.

A record carries the chain head of each case it shows three times: in the PDF
Info dictionary (/SafeLoopChain, JSON), in /Keywords, and as visible text in the
form ``SafeLoop|<number>|seq=<n>|sha256=<hex>`` (the same text the QR code
holds), so a paper copy scanned back to PDF can still be checked by its text.
"""
from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from workflow.core.audit import GENESIS

METADATA_KEY = "SafeLoopChain"
_TEXT_STAMP = re.compile(r"SafeLoop\|([^|\s]{1,60})\|seq=(\d{1,9})\|sha256=([0-9a-f]{64})")


class UnreadableRecord(Exception):
    """The file is not a PDF, or carries no chain stamp."""


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

    def to_json(self) -> dict:
        return {"id": self.case_id, "number": self.number, "seq": self.seq, "head": self.head}


def metadata_for(stamps: list[ChainStamp]) -> dict:
    """Keyword arguments for ``render_pdf`` that embed ``stamps``."""
    payload = json.dumps({"v": 1, "cases": [s.to_json() for s in stamps]},
                         separators=(",", ":"), ensure_ascii=True)
    keywords = ["SafeLoop"] + ([stamps[0].text] if len(stamps) == 1 else [])
    return {"custom": {METADATA_KEY: payload}, "keywords": keywords}


def read_stamps(data: bytes) -> list[ChainStamp]:
    """Read the chain stamps of a record PDF (metadata first, then its text)."""
    if not data.startswith(b"%PDF-"):
        raise UnreadableRecord("文件不是 PDF")
    try:
        reader = PdfReader(io.BytesIO(data))
        info = reader.metadata or {}
        raw = info.get("/" + METADATA_KEY)
        if raw:
            stamps = _from_json(str(raw))
            if stamps:
                return stamps
        text = re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in reader.pages))
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadableRecord(f"PDF 无法读取：{exc}") from None
    seen, stamps = set(), []
    for number, seq, head in _TEXT_STAMP.findall(text):
        stamp = ChainStamp(number=number, seq=int(seq), head=head)
        if stamp not in seen:
            seen.add(stamp)
            stamps.append(stamp)
    if not stamps:
        raise UnreadableRecord("文件中没有审计链核验信息（不是本系统生成的记录，或文字无法提取）")
    return stamps


def _from_json(raw: str) -> list[ChainStamp]:
    try:
        payload = json.loads(raw)
        out = []
        for item in payload["cases"]:
            head = str(item["head"])
            if not re.fullmatch(r"[0-9a-f]{64}", head):
                raise ValueError(head)
            case_id = item.get("id")
            out.append(ChainStamp(number=str(item["number"])[:60], seq=int(item["seq"]), head=head,
                                  case_id=case_id if isinstance(case_id, int) else None))
        return out
    except (ValueError, KeyError, TypeError):
        return []
