"""Render printed records (GB/T 9704-style forms) to PDF with WeasyPrint."""
from __future__ import annotations

import base64
import hashlib
import io
import logging
import threading
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
import qrcode
import qrcode.image.svg
from PIL import Image, UnidentifiedImageError
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from workflow.core.images import ImageLimits, check_image, make_renditions
from workflow.platform.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
FONTTOOLS_FALLBACK = "Using fontTools instead of HarfBuzz-Subset"
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
PRINT_CSS_PATH = Path(__file__).with_name("print.css")
_last = threading.local()


class DataOnlyFetcher(URLFetcher):
    """Refuse every URL except ``data:`` URIs.

    Records carry user text; whatever reaches the HTML or CSS (an ``<img src>``, a
    ``url(...)``) must never make the renderer open a file or the network. Images
    and QR codes are therefore embedded as data: URIs. A refusal raises ValueError,
    which WeasyPrint logs and skips, so one bad reference does not lose the record.
    """

    def fetch(self, url, headers=None):
        if not url.lower().startswith("data:"):
            raise ValueError(f"URL refused, only data: URIs are allowed: {url}")
        return super().fetch(url, headers)


class _ThreadWarnings(logging.Handler):
    """Collect WeasyPrint warnings emitted by the current thread only."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record):
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


_fonts = threading.local()


def font_config() -> FontConfiguration:
    """This thread's WeasyPrint font configuration, made once.

    Without one, every render builds a new Fontconfig configuration (and Pango font map)
    and so loads and matches the system fonts again, and lays text out with cold caches.
    Fontconfig objects are not shared between threads, so each thread keeps its own.
    """
    config = getattr(_fonts, "config", None)
    if config is None:
        config = _fonts.config = FontConfiguration()
    return config


def _base_css() -> CSS:
    # parsed once per thread, with the thread's font configuration
    css = getattr(_fonts, "css", None)
    if css is None:
        css = _fonts.css = CSS(string=PRINT_CSS_PATH.read_text(encoding="utf-8"),
                               url_fetcher=DataOnlyFetcher(), font_config=font_config())
    return css


def _to_shanghai(value: datetime) -> datetime:
    # Instants are stored in UTC (domain §6); naive values are taken as UTC.
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(SHANGHAI)


def render_pdf(html: str, *, identifier: str, created: datetime, title: str,
               base_url=None, warnings: list | None = None, keywords: list[str] | None = None,
               custom: dict[str, str] | None = None) -> bytes:
    """Render `html` to an A4 PDF, byte-identical for the same inputs.

    `identifier` fixes the PDF /ID and `created` the creation date (what a
    ``dcterms.created`` meta would set), so a record re-rendered later can be
    compared byte for byte. `keywords` fill /Keywords and `custom` adds
    entries to the PDF Info dictionary (e.g. ``{"SafeLoopChain": ...}`` becomes
    /SafeLoopChain), so a verifier can read them back. WeasyPrint warnings of this render are appended to
    `warnings` and kept for `last_render_warnings()`. Only data: URIs are
    fetched (see DataOnlyFetcher); `base_url` resolves links, it opens nothing.
    """
    fetcher = DataOnlyFetcher()
    handler = _ThreadWarnings()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
            stylesheets=[_base_css()], font_config=font_config())
        meta = document.metadata
        meta.title = title
        meta.created = _to_shanghai(created).isoformat(timespec="seconds")
        meta.modified = None
        meta.keywords = list(keywords or [])
        # Only what the caller passes: <meta> names in the HTML never reach the Info dict.
        meta.custom = dict(custom or {})
        pdf_id = hashlib.sha256(identifier.encode("utf-8")).hexdigest()[:32].encode()
        # full_fonts would embed the whole CJK font: ~50 MB per record.
        pdf = document.write_pdf(pdf_identifier=pdf_id, full_fonts=False,
                                 custom_metadata=bool(custom))
    finally:
        logger.removeHandler(handler)
        _last.warnings = tuple(handler.messages)
    if warnings is not None:
        warnings.extend(handler.messages)
    return pdf


def last_render_warnings() -> tuple[str, ...]:
    """Return the WeasyPrint warnings of this thread's last `render_pdf` call."""
    return getattr(_last, "warnings", ())


def fonttools_fallback_warning_seen(messages=None) -> bool:
    """Tell whether fonts were subset by slow fontTools instead of HarfBuzz."""
    if messages is None:
        messages = last_render_warnings()
    return any(FONTTOOLS_FALLBACK in m for m in messages)


def format_cn_date(d: date | datetime | None) -> str:
    """Write a date the official way: 2020年3月5日 (empty for None)."""
    if d is None:
        return ""
    if isinstance(d, datetime):
        d = _to_shanghai(d).date()
    return f"{d.year}年{d.month}月{d.day}日"


def format_cn_datetime(value: datetime | None) -> str:
    """Write an instant in Asia/Shanghai: 2020年3月5日 10:30 (empty for None)."""
    if value is None:
        return ""
    local = _to_shanghai(value)
    return f"{format_cn_date(local)} {local:%H:%M}"


def qr_svg_data_uri(text: str) -> str:
    """Return a QR code of `text` as an SVG data: URI for ``<img src>``."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def qr_png_data_uri(text: str) -> str:
    """Return a QR code of `text` as a 1-bit PNG data: URI, one pixel per module.

    Far cheaper for WeasyPrint than the SVG path (hundreds of subpaths): size
    it in CSS with ``image-rendering: crisp-edges`` so it prints sharp.
    """
    qr = qrcode.QRCode(border=4, box_size=1, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    out = io.BytesIO()
    qr.make_image().get_image().convert("1").save(out, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def jpeg_data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def thumbnail_data_uri(image_bytes: bytes, max_px: int = 240) -> str | None:
    """Return a JPEG thumbnail data: URI, upright per EXIF; None if unreadable or too large.

    Records print the rendition stored at upload (``workflow.core.images``); this is for
    images that were never uploaded as evidence.
    """
    try:
        check_image(image_bytes, "image", ImageLimits())
        return jpeg_data_uri(make_renditions(image_bytes, {"x": max_px})["x"])
    except (InvalidInput, UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError):
        return None


@lru_cache(maxsize=1)
def records_env() -> jinja2.Environment:
    """Return the Jinja2 environment for templates/records (autoescape on)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["cn_date"] = format_cn_date
    env.filters["cn_datetime"] = format_cn_datetime
    env.globals["qr_svg_data_uri"] = qr_svg_data_uri
    env.globals["qr_png_data_uri"] = qr_png_data_uri
    return env


def render_record_html(template_name: str, **context) -> str:
    """Render a records template (e.g. "records/base.html") to HTML."""
    return records_env().get_template(template_name).render(**context)
