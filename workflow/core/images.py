"""Evidence photos: the header checked before any decoding, renditions made once at upload.

A PNG of a few hundred KB can declare 13000×13000 pixels and cost more than a GB to decode.
``check_image`` reads only the header (``Image.open`` parses it and decodes nothing) and
refuses a side or a pixel count past the limits. An accepted photo is decoded exactly once,
at upload, into two small JPEGs stored beside the original (``Storage.put_rendition``): the
page thumbnail and the rendition the PDF records print. Pages and records use those and
never the original.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from workflow.platform.errors import InvalidInput

# rendition kind → longest side in pixels
RENDITIONS = {"thumb": 320, "print": 240}
_UNREADABLE = (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError,
               Image.DecompressionBombError)


@dataclass(frozen=True)
class ImageLimits:
    max_pixels: int = 50_000_000   # EVIDENCE_MAX_PIXELS
    max_side: int = 16384          # EVIDENCE_MAX_IMAGE_SIDE


def _open(data: bytes) -> Image.Image:
    # Pillow's own guard (MAX_IMAGE_PIXELS, set from EVIDENCE_MAX_PIXELS by the app) warns
    # before it refuses; the limits below are the refusal, so the warning is noise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(io.BytesIO(data))


def check_image(data: bytes, name: str, limits: ImageLimits) -> tuple[int, int]:
    """The image's (width, height) from its header; refuse sizes past the limits (400 on ``file``)."""
    try:
        with _open(data) as image:
            width, height = image.size
    except Image.DecompressionBombError:
        raise InvalidInput(f"图片“{name}”像素过多（上限 EVIDENCE_MAX_PIXELS = {limits.max_pixels}）",
                           field="file", limit="EVIDENCE_MAX_PIXELS") from None
    except _UNREADABLE:
        raise InvalidInput(f"图片“{name}”已损坏，无法读取", field="file") from None
    if max(width, height) > limits.max_side:
        raise InvalidInput(
            f"图片“{name}”为 {width}×{height} 像素，边长超过 {limits.max_side}"
            f"（上限 EVIDENCE_MAX_IMAGE_SIDE）", field="file", limit="EVIDENCE_MAX_IMAGE_SIDE")
    if width * height > limits.max_pixels:
        raise InvalidInput(
            f"图片“{name}”为 {width}×{height} 像素，超过 {limits.max_pixels} 像素"
            f"（上限 EVIDENCE_MAX_PIXELS）", field="file", limit="EVIDENCE_MAX_PIXELS")
    return width, height


def make_renditions(data: bytes, sizes: dict[str, int] | None = None) -> dict[str, bytes]:
    """Decode the image once; a JPEG per kind, upright per EXIF, transparency on white.

    Call only after ``check_image``. Raises OSError (or ValueError) for an image that
    cannot be decoded.
    """
    sizes = sizes or RENDITIONS
    largest = max(sizes.values())
    with _open(data) as image:
        # JPEGs decode at a reduced scale: far faster than a full decode
        image.draft("RGB", (largest, largest))
        image = ImageOps.exif_transpose(image)
        image.thumbnail((largest, largest))
        if image.mode in ("RGBA", "LA", "P", "PA"):
            image = image.convert("RGBA")
            background = Image.new("RGB", image.size, "white")
            background.paste(image, mask=image.getchannel("A"))
            image = background
        image = image.convert("RGB")
    out = {}
    for kind, px in sorted(sizes.items(), key=lambda kv: -kv[1]):
        image.thumbnail((px, px))
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=80)
        out[kind] = buf.getvalue()
    return out


def rendition(storage, sha256: str, kind: str, limits: ImageLimits) -> bytes | None:
    """The stored rendition; for files stored before renditions existed, made once now.

    None when the original is missing, too large by its header or undecodable.
    """
    stored = storage.get_rendition(sha256, kind)
    if stored is not None:
        return stored
    try:
        data = storage.get(sha256)
        check_image(data, sha256[:12], limits)
        made = make_renditions(data)
    except (InvalidInput, *_UNREADABLE):
        return None
    for k, blob in made.items():
        storage.put_rendition(sha256, k, blob)
    return made.get(kind)


__all__ = ["RENDITIONS", "ImageLimits", "check_image", "make_renditions", "rendition"]
