"""Render printed records (GB/T 9704-style forms) to PDF with WeasyPrint."""
from __future__ import annotations

import base64
import hashlib
import io
import logging
import threading
import zlib
from contextlib import contextmanager
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
import pydyf
import qrcode
import qrcode.image.svg
from PIL import Image, UnidentifiedImageError
from weasyprint import CSS, HTML
from weasyprint.pdf import fonts as pdf_fonts
from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset
from weasyprint.text.fonts import FontConfiguration, get_hb_object_data
from weasyprint.urls import URLFetcher

from workflow.core.images import ImageLimits, check_image, make_renditions
from workflow.platform.collector import gc_paused
from workflow.platform.errors import InvalidInput
from workflow.records.render_cache import RenderCache

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


# Tables WeasyPrint drops from embedded fonts (weasyprint/pdf/fonts.py, Font._harfbuzz_subset).
_DROPPED_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF",
                   b"LTSH", b"PCLT", b"SVG ")
_two_pass_subset = pdf_fonts.Font._harfbuzz_subset


def _hb_set_add(hb_set, values) -> None:
    array = ffi.new(f"hb_codepoint_t[{len(values)}]", values)
    harfbuzz.hb_set_add_sorted_array(hb_set, array, len(values))


def one_pass_subset(font, to_unicode, hinting) -> bytes | None:
    """The embedded subset of `font` in one HarfBuzz pass, or None where it may differ.

    WeasyPrint subsets in two passes: the glyphs used, keeping their ids, then again
    keeping glyphs 0..max(used) and dropping hinting. The second pass walks every glyph
    slot below the highest id used, tens of thousands for Noto Sans CJK (ids above
    60000): about 45 ms of each record, the same for one line or for three pages.
    When the first pass already ends at the highest id used (no glyph pulled in above
    it, as for Noto Sans CJK), the second keeps every glyph and only drops hinting, so
    asking for both at once gives the same font, byte for byte (tests/test_render.py).
    Otherwise (a fallback font whose tables pull in more glyphs) this returns None and
    WeasyPrint's two passes run.
    """
    hb_input = ffi.gc(harfbuzz_subset.hb_subset_input_create_or_fail(),
                      harfbuzz_subset.hb_subset_input_destroy)
    _hb_set_add(harfbuzz_subset.hb_subset_input_glyph_set(hb_input), sorted(to_unicode))
    flags = (harfbuzz_subset.HB_SUBSET_FLAGS_RETAIN_GIDS |
             harfbuzz_subset.HB_SUBSET_FLAGS_PASSTHROUGH_UNRECOGNIZED |
             harfbuzz_subset.HB_SUBSET_FLAGS_DESUBROUTINIZE)
    if not hinting:
        flags |= harfbuzz_subset.HB_SUBSET_FLAGS_NO_HINTING
    if font.missing:
        flags |= harfbuzz_subset.HB_SUBSET_FLAGS_NOTDEF_OUTLINE
    harfbuzz_subset.hb_subset_input_set_flags(hb_input, flags)
    _hb_set_add(harfbuzz_subset.hb_subset_input_set(
        hb_input, harfbuzz_subset.HB_SUBSET_SETS_DROP_TABLE_TAG),
        sorted(harfbuzz.hb_tag_from_string(tag, -1) for tag in _DROPPED_TABLES))
    face = ffi.gc(harfbuzz_subset.hb_subset_or_fail(font.hb_face, hb_input),
                  harfbuzz.hb_face_destroy)
    if not face or harfbuzz.hb_face_get_glyph_count(face) != max(to_unicode) + 1:
        return None
    return get_hb_object_data(face) or None


def _subset_font(font, to_unicode, hinting):
    # Installed on WeasyPrint's Font; one pass inside render_pdf only, so that a bare
    # WeasyPrint call in the same process (bench/pdf.py) keeps WeasyPrint's own path.
    if getattr(_fonts, "one_pass", False) and to_unicode:
        content = one_pass_subset(font, to_unicode, hinting)
        if content:
            font.file_content = content
            return
    _two_pass_subset(font, to_unicode, hinting)


pdf_fonts.Font._harfbuzz_subset = _subset_font


@contextmanager
def one_pass_fonts():
    """Subset fonts in one pass (``one_pass_subset``) in this thread while inside."""
    _fonts.one_pass = True
    try:
        yield
    finally:
        _fonts.one_pass = False


# Above this many bytes a stream is deflated at level 1 instead of pydyf's 9. The one such
# stream of a record is the embedded font program: about 800 KB for Noto Sans CJK, whose
# subset keeps every glyph id, so its advance and offset tables are mostly empty slots.
# Level 9 takes about 24 ms of each record on it, level 1 about 9 ms, for 2% more bytes.
QUICK_DEFLATE_BYTES = 64 * 1024
_pydyf_stream_data = pydyf.Stream.data.fget


def _deflated_once(stream) -> bytes:
    """A stream's bytes as pydyf writes them; computed once per stream inside render_pdf.

    pydyf makes (and deflates) a stream's bytes each time they are asked for, and PDF.write
    asks twice when the file has an identifier (to write the object, then for the MD5 of
    the second /ID entry): every record deflated its font program twice. Inside
    ``once_deflated_streams`` the first answer is kept on the stream and large streams are
    deflated at level 1 (QUICK_DEFLATE_BYTES); elsewhere (a bare WeasyPrint call in the same
    process) this is pydyf's own property.
    """
    if not getattr(_fonts, "once", False):
        return _pydyf_stream_data(stream)
    data = stream.__dict__.get("_safeloop_bytes")
    if data is None:
        raw = b"\n".join(pydyf._to_bytes(item) for item in stream.stream)
        if stream.compress and len(raw) > QUICK_DEFLATE_BYTES:
            extra = pydyf.Dictionary(stream.extra.copy())
            extra["Filter"] = "/FlateDecode"
            raw = zlib.compress(raw, 1)
            extra["Length"] = len(raw)
            data = b"\n".join((extra.data, b"stream", raw, b"endstream"))
        else:
            data = _pydyf_stream_data(stream)
        stream.__dict__["_safeloop_bytes"] = data
    return data


pydyf.Stream.data = property(_deflated_once)


@contextmanager
def once_deflated_streams():
    """Make each PDF stream's bytes once, large ones quickly (``_deflated_once``), while inside.

    Only around a finished document's ``write_pdf``: nothing appends to a stream once pydyf
    has begun writing the file.
    """
    _fonts.once = True
    try:
        yield
    finally:
        _fonts.once = False


def _to_shanghai(value: datetime) -> datetime:
    # Instants are stored in UTC (domain §6); naive values are taken as UTC.
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(SHANGHAI)


def render_pdf(html: str, *, identifier: str, created: datetime, title: str,
               base_url=None, warnings: list | None = None, keywords: list[str] | None = None,
               custom: dict[str, str] | None = None, cache: RenderCache | None = None) -> bytes:
    """Render `html` to an A4 PDF, byte-identical for the same inputs.

    `identifier` fixes the PDF /ID and `created` the creation date (what a
    ``dcterms.created`` meta would set), so a record re-rendered later can be
    compared byte for byte. `keywords` fill /Keywords and `custom` adds
    entries to the PDF Info dictionary (e.g. ``{"SafeLoopChain": ...}`` becomes
    /SafeLoopChain), so a verifier can read them back. WeasyPrint warnings of this render are appended to
    `warnings` and kept for `last_render_warnings()`. Only data: URIs are
    fetched (see DataOnlyFetcher); `base_url` resolves links, it opens nothing.
    With a `cache`, a record rendered before from the same inputs by the same renderer is
    read back instead (its bytes and warnings are those of that render).
    """
    key = None
    if cache is not None:
        key = cache.key(html, identifier=identifier, created=created.isoformat(), title=title,
                        base_url=base_url, keywords=list(keywords or []), custom=custom or {})
        if (kept := cache.get(key)) is not None:
            pdf, messages = kept
            _last.warnings = tuple(messages)
            if warnings is not None:
                warnings.extend(messages)
            return pdf
    fetcher = DataOnlyFetcher()
    handler = _ThreadWarnings()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        with gc_paused():
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
            with one_pass_fonts(), once_deflated_streams():
                pdf = document.write_pdf(pdf_identifier=pdf_id, full_fonts=False,
                                         custom_metadata=bool(custom))
            del document  # its boxes die now, before the young generation is collected
    finally:
        logger.removeHandler(handler)
        _last.warnings = tuple(handler.messages)
    if warnings is not None:
        warnings.extend(handler.messages)
    if key is not None:
        cache.put(key, pdf, handler.messages)
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
