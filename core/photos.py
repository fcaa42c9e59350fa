"""Photos as evidence: checked by their content, stored once by content hash outside the web root, with
upright, EXIF-free JPEG variants for display.

    photo = photos.store(request.files["photo"], request.files["photo"].filename, user=current_user)
    return photos.send(photo, "thumb")  # from a view that has checked the permission itself

Layout under PHOTO_DIR (default instance/photos): `ab/cd/<sha256>.<ext>` is the upload byte for byte (the
evidence, EXIF included), `ab/cd/<sha256>.display.jpg` (long side at most 1600 px) and
`ab/cd/<sha256>.thumb.jpg` (at most 320 px) are derived: turned upright by the EXIF orientation, with no EXIF,
XMP or comment (the place a photo was taken is kept in the database row only).

The same bytes uploaded twice give the same row, so `uploaded_by` / `uploaded_at` are those of the first
upload; whoever attaches a photo to something records that themselves.
"""

import contextlib
import hashlib
import io
import logging
import math
import os
import re
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask import abort, current_app, send_file
from flask_babel import lazy_gettext as _l
from peewee import CharField, DateTimeField, DoubleField, ForeignKeyField, IntegerField, IntegrityError
from PIL import ExifTags, Image, ImageFile, ImageOps, UnidentifiedImageError

from core import clock
from core.db import BaseModel, db
from core.org import User
from core.photo_decoding import decoding

log = logging.getLogger(__name__)

# Pillow format → (mime type, extension). MPO is how Pillow names the multi-picture JPEGs some phones write.
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "MPO": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
# What the bytes of each accepted format begin with; anything else is not a photo, whatever its name says.
SIGNATURES = [
    (re.compile(rb"\A\xff\xd8\xff"), "JPEG"),
    (re.compile(rb"\A\x89PNG\r\n\x1a\n"), "PNG"),
    (re.compile(rb"\ARIFF....WEBP", re.DOTALL), "WEBP"),
]
MAX_PIXELS = 60_000_000  # default for PHOTO_MAX_PIXELS: well above any phone camera, well below a bomb
VARIANTS = {"display": 1600, "thumb": 320}  # derived JPEG variants: the longest side in pixels
JPEG_QUALITY = {"display": 85, "thumb": 80}
CACHE_CONTROL = "private, max-age=31536000, immutable"  # a photo's bytes never change under its hash
SHA256 = re.compile(r"\A[0-9a-f]{64}\Z")


class Photo(BaseModel):
    sha256 = CharField(max_length=64, unique=True)  # hex digest of the original bytes
    mime = CharField(max_length=20)
    ext = CharField(max_length=5)  # of the original: jpg, png, webp
    width = IntegerField()  # upright, as displayed (after the EXIF orientation)
    height = IntegerField()
    size_bytes = IntegerField()  # of the original
    taken_at = DateTimeField(null=True)  # EXIF DateTimeOriginal, in TIMEZONE when the camera gave an offset
    latitude = DoubleField(null=True)  # EXIF GPS as the camera wrote it: WGS-84 (not GCJ-02)
    longitude = DoubleField(null=True)
    uploaded_by = ForeignKeyField(User, null=True, backref="uploaded_photos", on_delete="SET NULL")
    uploaded_at = DateTimeField(default=clock.now)

    def __str__(self):
        return f"{self.sha256[:12]}.{self.ext}"


class PhotoError(ValueError):
    """A refused upload. `str()` is a message for the person who uploaded it, in their language;
    `code` says which refusal it is: not_a_photo, too_large, damaged, too_many_pixels."""

    def __init__(self, code: str, message):
        super().__init__(message)
        self.code = code
        self.message = message  # a lazy string: translated when it is shown

    def __str__(self):
        return str(self.message)


def not_a_photo():
    return PhotoError("not_a_photo", _l("This file is not a photo (JPEG, PNG or WebP)."))


def too_large(limit: int):
    return PhotoError("too_large", _l("The photo is larger than %(limit)s.", limit=_size_text(limit)))


def damaged():
    return PhotoError("damaged", _l("The photo is damaged or incomplete; take it again or retry the upload."))


def too_many_pixels():
    return PhotoError("too_many_pixels", _l("The photo is too large in pixels."))


def _size_text(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{round(limit / (1024 * 1024), 1):g} MB"
    if limit >= 1024:
        return f"{round(limit / 1024, 1):g} KB"
    return f"{limit} B"


# --- storing -------------------------------------------------------------------------------------


def store(stream, filename: str, user=None) -> Photo:
    """Check an upload and keep it: returns its Photo row (the existing one when the same bytes were
    stored before). `stream` is anything with read(n), such as a werkzeug FileStorage; `filename` is only
    used in log lines, never to decide what the file is. Raises PhotoError for anything refused."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES is True: damaged photos could not be refused")
    limit = current_app.config["PHOTO_MAX_BYTES"]
    data = _read_at_most(stream, limit + 1)
    if len(data) > limit:
        log.info("photo %r refused: more than %d bytes", filename, limit)
        raise too_large(limit)
    if not data:
        log.info("photo %r refused: empty", filename)
        raise damaged()
    digest = hashlib.sha256(data).hexdigest()
    existing = _lookup(digest)
    if existing is not None and all(path(existing, v).exists() for v in ("original", *VARIANTS)):
        return existing
    try:
        expected, pixels = _probe(data)
        with decoding(pixels):  # a decoded photo takes 3-4 bytes a pixel: bounded per process
            facts, image = _decode(data, expected)
            row = existing or Photo(sha256=digest, size_bytes=len(data), uploaded_by=_user_or_none(user), **facts)
            _write_files(row, data, image)
            image.close()  # frees the pixels now, inside the bound
    except PhotoError as error:
        log.info("photo %r refused: %s", filename, error.code)
        raise
    if existing is not None:
        return existing
    try:
        with db.atomic():  # a savepoint inside a caller's transaction: a lost race leaves that usable
            row.save(force_insert=True)
    except IntegrityError:
        winner = _lookup(digest)  # stored by someone else meanwhile (same bytes, same files)
        if winner is None:
            raise
        return winner
    return row


def _read_at_most(stream, size: int) -> bytes:
    buffer = bytearray()
    while len(buffer) < size:
        chunk = stream.read(min(1024 * 1024, size - len(buffer)))
        if not chunk:
            break
        buffer += chunk
    return bytes(buffer)


def _lookup(digest: str) -> Photo | None:
    return Photo.get_or_none(Photo.sha256 == digest)


def _user_or_none(user):
    """A User, or None for nobody / an anonymous visitor; unwraps flask_login's current_user."""
    if user is None or not getattr(user, "is_authenticated", True):
        return None
    unwrap = getattr(user, "_get_current_object", None)
    return unwrap() if unwrap else user


def _probe(data: bytes) -> tuple[str, int]:
    """From the header alone, before any pixel is decoded: the format, which must be one we take and agree
    with the file's signature, and the pixel count, within PHOTO_MAX_PIXELS; verify() checks the file's
    structure. Returns (format, pixels)."""
    expected = next((name for signature, name in SIGNATURES if signature.match(data)), None)
    if expected is None:
        raise not_a_photo()
    max_pixels = current_app.config.get("PHOTO_MAX_PIXELS", MAX_PIXELS)
    with _pillow_errors():
        with Image.open(io.BytesIO(data), formats=[expected]) as probe:
            if probe.format not in FORMATS:
                raise not_a_photo()
            pixels = probe.width * probe.height
            if pixels > max_pixels:
                raise too_many_pixels()
            probe.verify()
    return expected, pixels


@contextlib.contextmanager
def _pillow_errors():
    """Pillow's exceptions as the refusals they mean."""
    try:
        yield
    except PhotoError:
        raise
    except Image.DecompressionBombError:
        raise too_many_pixels() from None
    except UnidentifiedImageError:
        raise damaged() from None  # the right signature, but Pillow cannot even read the header
    except Exception as error:  # Pillow reports damage as OSError, SyntaxError, ValueError, struct.error...
        log.debug("photo damaged: %r", error)
        raise damaged() from None


def _decode(data: bytes, expected: str) -> tuple[dict, Image.Image]:
    """The whole image decoded from a fresh open (damage shows here), and the facts for its row."""
    with _pillow_errors():
        image = Image.open(io.BytesIO(data), formats=[expected])
        image.load()
    mime, ext = FORMATS[image.format]
    exif = _exif(image)
    orientation = exif.get(ExifTags.Base.Orientation, 1) if exif else 1
    width, height = (image.height, image.width) if orientation in (5, 6, 7, 8) else image.size
    taken_at = _taken_at(exif)
    latitude, longitude = _position(exif)
    facts = dict(
        mime=mime, ext=ext, width=width, height=height, taken_at=taken_at, latitude=latitude, longitude=longitude
    )
    return facts, image


def _exif(image: Image.Image) -> Image.Exif | None:
    try:
        return image.getexif()
    except Exception as error:  # broken EXIF does not make the photo worthless; it just tells us nothing
        log.info("unreadable EXIF ignored: %r", error)
        return None


def _taken_at(exif) -> datetime | None:
    """EXIF DateTimeOriginal as a naive time in TIMEZONE. Without OffsetTimeOriginal the camera's clock is
    taken to be in TIMEZONE already."""
    try:
        ifd = exif.get_ifd(ExifTags.IFD.Exif)
        raw = ifd.get(ExifTags.Base.DateTimeOriginal)
        if not isinstance(raw, str):
            return None
        taken = datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
        offset = ifd.get(ExifTags.Base.OffsetTimeOriginal)
        match = re.fullmatch(r"([+-])(\d\d):(\d\d)", offset.strip("\x00 ")) if isinstance(offset, str) else None
        if match:
            sign = -1 if match.group(1) == "-" else 1
            zone = timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))
            taken = taken.replace(tzinfo=zone).astimezone(clock.zone()).replace(tzinfo=None)
        return taken
    except Exception:  # absent, "0000:00:00 00:00:00", garbage: unknown
        return None


def _position(exif) -> tuple[float | None, float | None]:
    """EXIF GPS latitude and longitude in decimal degrees, or (None, None)."""
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        latitude = _degrees(gps[ExifTags.GPS.GPSLatitude], gps.get(ExifTags.GPS.GPSLatitudeRef), "S")
        longitude = _degrees(gps[ExifTags.GPS.GPSLongitude], gps.get(ExifTags.GPS.GPSLongitudeRef), "W")
    except Exception:
        return None, None
    if not (abs(latitude) <= 90 and abs(longitude) <= 180) or (latitude == 0 and longitude == 0):
        return None, None  # out of range, NaN (a 0/0 rational), or the 0,0 a camera without a fix writes
    return round(latitude, 7), round(longitude, 7)


def _degrees(dms, ref, negative: str) -> float:
    degrees, minutes, seconds = (float(part) for part in dms)
    value = degrees + minutes / 60 + seconds / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if not math.isfinite(value):
        raise ValueError("not a number")
    return -value if (ref or "").strip("\x00 ").upper() == negative else value


# --- files ---------------------------------------------------------------------------------------


def path(photo: Photo, variant: str = "original") -> Path:
    """Where a variant of a photo lives: "original" (the upload), "display" or "thumb" (JPEG)."""
    if variant != "original" and variant not in VARIANTS:
        raise ValueError(f"unknown photo variant {variant!r}")
    if not SHA256.match(photo.sha256 or ""):
        raise ValueError(f"not a sha256 digest: {photo.sha256!r}")
    folder = Path(current_app.instance_path, current_app.config["PHOTO_DIR"])  # relative: to the instance
    folder = folder / photo.sha256[:2] / photo.sha256[2:4]
    name = f"{photo.sha256}.{photo.ext}" if variant == "original" else f"{photo.sha256}.{variant}.jpg"
    return folder / name


def _write_files(photo: Photo, data: bytes, image: Image.Image):
    """Write whatever is missing: the original byte for byte, then the derived variants."""
    original = path(photo, "original")
    if not (original.exists() and original.stat().st_size == len(data)):
        _write_atomically(original, lambda handle: handle.write(data))
    base = None
    for variant in VARIANTS:
        target = path(photo, variant)
        if not target.exists():
            base = base or _jpeg_mode(image)
            derived = _derive(image, VARIANTS[variant], base)
            _write_atomically(target, lambda handle, im=derived, v=variant: _save_jpeg(im, handle, v))


def _derive(image: Image.Image, longest: int, base: Image.Image | None = None) -> Image.Image:
    """A copy at most `longest` pixels on its long side, upright, in RGB or L, with no metadata left but a
    matching ICC colour profile. `base`: the image already in RGB or L, when the caller has it."""
    small = base or _jpeg_mode(image)
    scale = longest / max(small.size)
    if scale < 1:
        size = (max(1, round(small.width * scale)), max(1, round(small.height * scale)))
        small = small.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    else:
        small = small.copy()
    small.info = dict(image.info)  # what exif_transpose reads the orientation from (EXIF, or XMP)
    upright = ImageOps.exif_transpose(small)
    icc = image.info.get("icc_profile")
    space = {"RGB": b"RGB ", "L": b"GRAY"}[upright.mode]
    keep_icc = icc and image.mode in ("RGB", "RGBA", "L", "LA") and icc[16:20] == space
    upright.info = {"icc_profile": icc} if keep_icc else {}
    return upright


def _jpeg_mode(image: Image.Image) -> Image.Image:
    """The image in a mode a JPEG can hold: RGB or L, transparency flattened onto white."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode.startswith("I"):  # 16-bit greyscale (PNG): scale down to 8 bits
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode == "F":
        return image.convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _save_jpeg(image: Image.Image, handle, variant: str):
    options = {"quality": JPEG_QUALITY[variant], "optimize": True, "progressive": variant == "display"}
    if image.info.get("icc_profile"):
        options["icc_profile"] = image.info["icc_profile"]
    image.save(handle, "JPEG", **options)


def _write_atomically(target: Path, write):
    """Write through a temporary file in the same folder, then rename over the target: a reader sees the
    whole file or none, and two writers of the same content both succeed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where the platform allows it
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


# --- serving -------------------------------------------------------------------------------------


def send(photo: Photo, variant: str = "original"):
    """The response for one variant of a photo, cacheable by the browser only (`private`) and for good:
    ETag sha256-variant, If-None-Match / If-Modified-Since answered 304. Call it from a view that has
    checked the permission. A missing derived file is made again from the original; a missing original
    is a 404 (and an error in the log)."""
    target = path(photo, variant)
    if not target.exists():
        original = path(photo, "original")
        if variant == "original" or not original.exists():
            log.error("photo file missing: %s", target)
            abort(404)
        with Image.open(original) as image, decoding(image.width * image.height):
            image.load()
            derived = _derive(image, VARIANTS[variant])
        _write_atomically(target, lambda handle: _save_jpeg(derived, handle, variant))
    mimetype = photo.mime if variant == "original" else "image/jpeg"
    response = send_file(target, mimetype=mimetype, etag=f"{photo.sha256}-{variant}", conditional=True)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response
