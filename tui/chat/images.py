"""Images attached to a message: recognise a pasted path, read the file off the event loop, check it
against the provider's limits, and describe it (name, size, pixel dimensions) without Pillow.

Limits (Model Studio's "Visual understanding (Qwen-VL)" page, "File limits" > "Image limits", checked
against a stored copy of it and of the error-code page, 2026-12): formats BMP, JPEG, PNG, TIFF, WEBP
and HEIC up to 4K (3840x2160), and only JPEG and PNG between 4K and 8K; width and height above 10
pixels (the error-code page says "at least 10"); the long side at most 200 times the short one; a file,
or a URL's image, at most 10 MB, and a Base64-encoded image at most 10 MB as the encoded string (so
about 7.5 MB of file). Beyond 8K is only advised against (time-outs), so nothing is refused for its
pixel count. URLs are fetched by the service: we cannot measure one without downloading it, so only
the scheme is checked here.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shlex
import struct
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from tui.chat.errors import EngineError
from tui.store.export import describe_image, file_size
from tui.store.models import ImageRef

#: Encoded (base64) size limit of one image sent inline; the docs say "10 MB", read as decimal (the
#: smaller reading), so nothing we send can be over the limit whichever one the service means.
MAX_BASE64_BYTES = 10_000_000
#: The file size that stays within MAX_BASE64_BYTES once encoded (base64 grows data by 4/3).
MAX_FILE_BYTES = MAX_BASE64_BYTES * 3 // 4
#: The vision page says both sides must be "above 10 pixels"; the error-code page says "not less than 10".
#: Where they disagree the client refuses only what both refuse (under 10) and leaves 10 to the service.
MIN_SIDE = 10
MAX_ASPECT = 200
#: Above 4K (read as a pixel count, the reading that refuses fewer pictures) only these formats are read.
FOUR_K_PIXELS = 3840 * 2160
LARGE_TYPES = ("image/jpeg", "image/png")
#: MIME types the service documents for image input.
ACCEPTED_TYPES = ("image/jpeg", "image/png", "image/webp", "image/bmp", "image/tiff", "image/heic")
_SUFFIXES = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jpe": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
    ".bmp": "image/bmp", ".tif": "image/tiff", ".tiff": "image/tiff", ".heic": "image/heic", ".gif": "image/gif",
}


class ImageError(EngineError):
    """An image cannot be attached (missing, unreadable, wrong type, over a limit); one line, nothing is sent."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """An image ready to send and store: a local file (its bytes and sha256) or an http(s) URL."""

    name: str
    mime: str | None = None
    data: bytes | None = None
    sha256: str | None = None
    width: int | None = None
    height: int | None = None
    url: str | None = None

    @property
    def size(self) -> int | None:
        return len(self.data) if self.data is not None else None

    @property
    def ref(self) -> ImageRef:
        """The record the store keeps for it."""
        return ImageRef(
            name=self.name, sha256=self.sha256, url=self.url, mime=self.mime, size=self.size,
            width=self.width, height=self.height,
        )

    @property
    def chip(self) -> str:
        """`photo.png · 1.2 MB · 800×600`: what the transcript shows for it (`describe_image` for a stored one)."""
        return describe_image(self.ref)


# --- pixel dimensions from the header ------------------------------------------------------------


def image_type(head: bytes) -> str | None:
    """The MIME type a file's first bytes announce (None if not an image this module knows)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:2] == b"BM":
        return "image/bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis"):
        return "image/heic"
    return None


def dimensions(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from a PNG, JPEG, GIF, WebP or BMP header; None when it cannot be read."""
    kind = image_type(data[:16])
    try:
        if kind == "image/png" and data[12:16] == b"IHDR":
            return struct.unpack(">II", data[16:24])
        if kind == "image/gif":
            return struct.unpack("<HH", data[6:10])
        if kind == "image/bmp":
            width, height = struct.unpack("<ii", data[18:26])
            return width, abs(height)
        if kind == "image/webp":
            return _webp_dimensions(data)
        if kind == "image/jpeg":
            return _jpeg_dimensions(data)
    except struct.error:
        return None
    return None


def _webp_dimensions(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8L" and data[20:21] == b"\x2f":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    """Walk the JPEG segments to the first start-of-frame marker, which holds height then width."""
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker == 0xFF:  # fill byte
            index += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            index += 2
            continue
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + length
    return None


# --- recognising and reading -----------------------------------------------------------------------


def pasted_paths(text: str) -> list[Path]:
    """The image files a paste names, or [] when it is anything else: dragging files onto a terminal
    pastes their paths, often quoted ('...' or "...") or with backslash-escaped spaces, sometimes as
    file:// URLs, separated by spaces. Every word must be an existing image file, so a sentence that
    mentions a path stays text."""
    line = text.strip()
    if not line or "\n" in line:
        return []
    try:
        words = shlex.split(line)
    except ValueError:
        return []
    paths = [_image_file(word) for word in words]
    return [path for path in paths if path is not None] if all(paths) else []


def pasted_path(text: str) -> Path | None:
    """The one image file a paste names (see `pasted_paths`), or None."""
    paths = pasted_paths(text)
    return paths[0] if len(paths) == 1 else None


def _image_file(word: str) -> Path | None:
    if word.startswith("file://"):
        from urllib.parse import unquote, urlparse

        word = unquote(urlparse(word).path)
    path = Path(word).expanduser()
    return path if path.suffix.lower() in _SUFFIXES and path.is_file() else None


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


async def attach(source: str | os.PathLike[str]) -> Attachment:
    """An image from a path or an http(s) URL, read, hashed and checked in a worker thread (a 5 MB file
    never holds up the event loop); `ImageError` says what is wrong with it in one line."""
    text = os.fspath(source)
    if is_url(text):
        name = text.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or text
        return Attachment(name=name, url=text)
    return await asyncio.to_thread(read_image, Path(text).expanduser())


def read_image(path: Path) -> Attachment:
    """Read and check one image file (blocking: call it through `attach`)."""
    name = path.name
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ImageError(f"cannot attach {path}: it is not a file")
        if size > MAX_FILE_BYTES:
            raise ImageError(
                f"{name} is {file_size(size)}; the service takes images up to {file_size(MAX_FILE_BYTES)} "
                f"({file_size(MAX_BASE64_BYTES)} once encoded): make it smaller, or send it as an https URL"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImageError(f"cannot attach {path}: there is no such file") from None
    except OSError as exc:
        raise ImageError(f"cannot attach {path}: {exc.strerror or exc}") from None
    mime = image_type(data[:16])
    if mime is None or mime not in ACCEPTED_TYPES:
        what = "a GIF" if mime == "image/gif" else "not an image the service reads"
        raise ImageError(f"{name} is {what}; attach a JPEG, PNG, WEBP, BMP, TIFF or HEIC file")
    dims = dimensions(data)
    if dims is not None:
        width, height = dims
        if min(width, height) < MIN_SIDE:
            raise ImageError(f"{name} is {width}×{height}; the service needs both sides at least 10 pixels")
        if max(width, height) > MAX_ASPECT * min(width, height):
            raise ImageError(f"{name} is {width}×{height}; the long side may be at most 200 times the short one")
        if width * height > FOUR_K_PIXELS and mime not in LARGE_TYPES:
            kind = mime.removeprefix("image/").upper()
            raise ImageError(
                f"{name} is a {width}×{height} {kind}; above 4K (3840×2160) the service reads only JPEG and PNG: "
                "convert it or make it smaller"
            )
    return Attachment(
        name=name, mime=mime, data=data, sha256=hashlib.sha256(data).hexdigest(),
        width=dims[0] if dims else None, height=dims[1] if dims else None,
    )


class DataUrlCache:
    """Data URLs of recently sent images by sha256, up to `budget` characters in all: every turn of a
    conversation with pictures sends them again (replay) or may have to, and encoding 5 MB each time
    costs a database read and ~7 MB of base64."""

    def __init__(self, budget: int = 64_000_000) -> None:
        self.budget = budget
        self._urls: OrderedDict[str, str] = OrderedDict()
        self._size = 0

    def get(self, sha256: str) -> str | None:
        url = self._urls.get(sha256)
        if url is not None:
            self._urls.move_to_end(sha256)
        return url

    def put(self, sha256: str, url: str) -> None:
        if sha256 in self._urls or len(url) > self.budget:
            return
        self._urls[sha256] = url
        self._size += len(url)
        while self._size > self.budget:
            _, dropped = self._urls.popitem(last=False)
            self._size -= len(dropped)
