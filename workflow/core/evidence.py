"""Evidence files (佐证材料): content-addressed storage, type checked by content."""
from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import unicodedata
import zipfile
from datetime import datetime
from pathlib import Path

import filetype
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.core.images import ImageLimits, check_image
from workflow.core.photo_hash import flag_message
from workflow.org.models import User
from workflow.platform.base import Base, iso_utc, utcnow
from workflow.platform.errors import InvalidInput
from workflow.platform.vocab import EVIDENCE_CATEGORIES

# MIME type → Chinese name shown in refusals and records
ALLOWED_TYPES = {
    "image/jpeg": "JPEG 图片",
    "image/png": "PNG 图片",
    "image/webp": "WebP 图片",
    "application/pdf": "PDF 文档",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word 文档(.docx)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel 表格(.xlsx)",
}
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp"}
# MIME type → the file name extensions it may carry (the first is the one suggested)
EXTENSIONS = {
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/png": (".png",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
}


class Evidence(Base):
    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(20), default="other")
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    # Set when the round is reported (上报); submitted files can never change.
    submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    # 以图销号 checks (photo_hash, photo_checks): pHash as 16 hex digits, EXIF capture time
    # (UTC), flags as a JSON list; empty for files that are not images and for old rows
    phash: Mapped[str | None] = mapped_column(String(16))
    captured_at: Mapped[datetime | None] = mapped_column(DateTime)
    flags_json: Mapped[str | None] = mapped_column(Text)

    uploaded_by: Mapped[User] = relationship()

    @property
    def flags(self) -> list[str]:
        return json.loads(self.flags_json) if self.flags_json else []

    @flags.setter
    def flags(self, value: list[str]) -> None:
        self.flags_json = json.dumps(value, ensure_ascii=False) if value else None

    @property
    def flag_messages(self) -> list[str]:
        return [flag_message(f) for f in self.flags]

    @property
    def is_image(self) -> bool:
        return self.content_type in IMAGE_TYPES

    @property
    def category_label(self) -> str:
        return EVIDENCE_CATEGORIES.get(self.category, self.category)

    @property
    def type_label(self) -> str:
        return ALLOWED_TYPES.get(self.content_type, self.content_type)

    def to_dict(self) -> dict:
        return {"id": self.id, "case_id": self.case_id, "round": self.round,
                "category": self.category, "category_label": self.category_label,
                "filename": self.filename, "content_type": self.content_type, "size": self.size,
                "sha256": self.sha256, "note": self.note, "submitted": self.submitted,
                "uploaded_by_id": self.uploaded_by_id,
                "uploaded_by": self.uploaded_by.display_name if self.uploaded_by else None,
                "uploaded_at": iso_utc(self.uploaded_at),
                "phash": self.phash, "captured_at": iso_utc(self.captured_at), "flags": self.flags}


def clean_filename(name: str | None) -> str:
    """Return a safe display name, refusing names that carry a path."""
    if not name or not name.strip():
        raise InvalidInput("文件名不能为空", field="file")
    name = unicodedata.normalize("NFC", name.strip())
    if "/" in name or "\\" in name or name in (".", "..") or name.startswith("..") or "\x00" in name:
        raise InvalidInput(f"文件名“{name[:60]}”含有路径，请只上传文件本身", field="file")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise InvalidInput("文件名含有控制字符", field="file")
    if len(name) > 200:
        raise InvalidInput("文件名过长（最多 200 个字符）", field="file")
    return name


def sniff_type(data: bytes) -> str | None:
    """Detect the file type from its bytes; names and client MIME types are not trusted."""
    kind = filetype.guess(data)
    mime = kind.mime if kind else None
    if mime == "application/zip" or data[:4] == b"PK\x03\x04":
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return None
        if "word/document.xml" in names:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if "xl/workbook.xml" in names:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return None
    return mime


def check_upload(data: bytes, filename: str | None, max_bytes: int,
                 image_limits: ImageLimits | None = None) -> tuple[str, str]:
    """Validate an upload; return (clean filename, content type) or raise InvalidInput.

    The type is detected from the content; the name's extension must be one of that type's
    (a PNG named .pdf is refused), and an image's header must be within ``image_limits``.
    """
    name = clean_filename(filename)
    if not data:
        raise InvalidInput(f"文件“{name}”为空", field="file")
    if len(data) > max_bytes:
        raise InvalidInput(
            f"文件“{name}”大小 {len(data) / 1048576:.1f} MB，超过上限 {max_bytes / 1048576:.0f} MB",
            field="file")
    mime = sniff_type(data)
    if mime not in ALLOWED_TYPES:
        allowed = "、".join(ALLOWED_TYPES.values())
        raise InvalidInput(f"文件“{name}”的类型不允许上传（按内容识别）；允许：{allowed}",
                           field="file")
    extension = os.path.splitext(name)[1].lower()
    if extension not in EXTENSIONS[mime]:
        raise InvalidInput(
            f"文件“{name}”的扩展名与内容不符：内容是{ALLOWED_TYPES[mime]}，扩展名应为 "
            f"{EXTENSIONS[mime][0]}", field="file", detected_type=mime)
    if mime in IMAGE_TYPES:
        check_image(data, name, image_limits or ImageLimits())
    return name, mime


class Storage:
    """Content-addressed file store: ``root/ab/cd/<sha256>``."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self.path_for(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # write then rename, so a crash never leaves a half file under its hash
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".up-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        return digest

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    # Renditions (thumbnail, print size) of an image live beside it: ``<sha256>.<kind>.jpg``.
    def rendition_path(self, sha256: str, kind: str) -> Path:
        if not kind.isalnum():
            raise ValueError(kind)
        return self.path_for(sha256).with_name(f"{sha256}.{kind}.jpg")

    def put_rendition(self, sha256: str, kind: str, data: bytes) -> Path:
        path = self.rendition_path(sha256, kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".rd-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        return path

    def get_rendition(self, sha256: str, kind: str) -> bytes | None:
        try:
            return self.rendition_path(sha256, kind).read_bytes()
        except FileNotFoundError:
            return None
