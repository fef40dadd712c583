"""Photo facts for 以图销号 checks: a perceptual hash and the EXIF capture time.

Pure functions on bytes: no session, no models. ``photo_checks`` compares the
hashes across evidence rows and turns matches into flags.

The hash is imagehash's pHash (64 bits: the low 8×8 DCT coefficients of a 32×32
grey copy against their median). It survives re-encoding, resizing and small
brightness changes; it does not survive heavy cropping or rotation, so a flag is
a hint for the verifier, never proof and never a refusal.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import imagehash
from PIL import Image, ImageOps, ImageStat

from workflow.platform.base import SHANGHAI

HASH_BITS = 64
# Measured with bench/photo_hash.py: a photo re-encoded at quality 40–95 and resized to
# 33–130 % stays within 2 bits, 20 % brighter within 4, 3 % cut off one side within 8;
# different photos, also of a similar scene, were never closer than 18 (mean 31, as for
# random bits). 6 sits between with a margin on both sides; a larger value would catch more
# crops but brings look-alike scenes of real places (the same cabinet model, the same wall)
# closer to a false warning.
DEFAULT_MATCH_DISTANCE = 6
# Images are hashed from a reduced decode; anything still larger than this is not hashed
# (no photo needs it, and a decompression bomb must not cost memory here).
MAX_HASH_PIXELS = 40_000_000
# A (nearly) flat image has no picture to compare: every flat image hashes alike, so a blank
# or black frame is left unhashed rather than matched with every other blank frame.
MIN_GREY_STDDEV = 2.0
HASH_SIDE = 32  # pHash works on a 32×32 grey copy

FLAG_SAME_AS_BEFORE = "same_as_before"
FLAG_CAPTURED_BEFORE_REGISTRATION = "captured_before_registration"
REUSED_FROM = "reused_from:"

_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL, _DATETIME_DIGITIZED, _OFFSET_TIME_ORIGINAL = 0x9003, 0x9004, 0x9011


@dataclass(frozen=True)
class PhotoFacts:
    phash: str | None = None  # 16 hex digits
    captured_at: datetime | None = None  # naive UTC, like every stored instant


def examine(data: bytes) -> PhotoFacts:
    """Hash an image and read its capture time; an unreadable image gives empty facts.

    The file was already accepted by type; these facts are extra, so a decoder error of any
    kind (Pillow raises OSError, ValueError, struct.error, IndexError … on broken files)
    leaves the photo unhashed instead of refusing the upload.
    """
    captured = None
    try:
        with warnings.catch_warnings():
            # the size is checked below, on the reduced decode
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                captured = _capture_time_of(img)
                img.draft("RGB", (256, 256))  # JPEG: decode at 1/2 … 1/8 scale, plenty for 32×32
                if img.width * img.height > MAX_HASH_PIXELS:
                    return PhotoFacts(None, captured)
                img.load()
                upright = ImageOps.exif_transpose(img)  # a phone's rotated photo hashes upright
                grey = upright.convert("L").resize((HASH_SIDE, HASH_SIDE), Image.Resampling.LANCZOS)
    except Exception:  # noqa: BLE001 (see the docstring)
        return PhotoFacts(None, captured)
    if ImageStat.Stat(grey).stddev[0] < MIN_GREY_STDDEV:
        return PhotoFacts(None, captured)
    # the same grey copy imagehash would make itself (convert("L"), resize with LANCZOS)
    return PhotoFacts(str(imagehash.phash(grey, hash_size=8, highfreq_factor=HASH_SIDE // 8)),
                      captured)


def _capture_time_of(img) -> datetime | None:
    try:
        return capture_time(img.getexif())
    except Exception:  # noqa: BLE001  a malformed EXIF block only loses the capture time
        return None


def capture_time(exif) -> datetime | None:
    """EXIF DateTimeOriginal (else DateTimeDigitized) as naive UTC.

    Cameras write local time without a zone; OffsetTimeOriginal gives the zone when
    present, otherwise the photo is taken to be shot in China (Asia/Shanghai).
    """
    sub = exif.get_ifd(_EXIF_IFD) if exif else {}
    raw = (sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME_ORIGINAL)
           or sub.get(_DATETIME_DIGITIZED)) if exif else None
    if not isinstance(raw, str):
        return None
    try:
        local = datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None  # "0000:00:00 00:00:00" and other blanks
    zone = _offset(sub.get(_OFFSET_TIME_ORIGINAL)) or SHANGHAI
    return local.replace(tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)


def _offset(raw) -> timezone | None:
    if not isinstance(raw, str) or len(raw.strip()) < 6:
        return None
    text = raw.strip()
    try:
        sign = -1 if text[0] == "-" else 1
        hours, minutes = int(text[1:3]), int(text[4:6])
    except ValueError:
        return None
    if text[0] not in "+-" or hours > 14 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def distance(a: str, b: str) -> int:
    """Hamming distance of two hex hashes (bits that differ)."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def flag_message(flag: str) -> str:
    """The Chinese line a verifier reads for a stored flag."""
    if flag.startswith(REUSED_FROM):
        return f"疑似重复使用：与 {flag[len(REUSED_FROM):]} 的照片相同"
    return {FLAG_SAME_AS_BEFORE: "与整改前照片相同",
            FLAG_CAPTURED_BEFORE_REGISTRATION: "拍摄时间早于挂号"}.get(flag, flag)
