"""Which images a printed document embeds, and their bytes: never fetched from elsewhere.

An image's src is embedded only when the server holds it: a `data:` URI of a PNG, JPEG, GIF or
WebP (decoded here), or whatever `resolve` returns for the src (the API hands a resolver that
reads the document's own stored images, /api/rooms/{room}/images/{id}). Anything else, an outside
http(s) address above all, is shown by its alt text: the server fetches no URL a document names
(that would let a writer make the server call into its own network).
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

# A src to the image's bytes, or None when the server does not hold it.
ImageResolver = Callable[[str], bytes | None]

_DATA_URI = re.compile(r"data:image/(png|jpeg|jpg|gif|webp);base64,(.*)", re.IGNORECASE | re.DOTALL)
_STORED = re.compile(r"/api/rooms/([^/]+)/images/([^/]+)")
# Past this, a picture is not embedded (a decompression bomb, or simply too big to print).
MAX_PIXELS = 40_000_000
MAX_DATA_URI = 20 * 1024 * 1024


def stored_image_id(src: str) -> str | None:
    """The id of the stored image that `src` names (/api/rooms/ROOM/images/ID, relative or on
    any host: only the path is read, nothing is fetched), or None. The caller looks the id up
    in the document's own room whatever ROOM says: a copied or imported document keeps its
    images' ids and their old src (the editor reads the id too), and no other room is read."""
    try:
        path = urlsplit(src).path
    except ValueError:
        return None
    match = _STORED.fullmatch(path)
    return unquote(match.group(2)) if match is not None else None


def picture_bytes(src: str, resolve: ImageResolver | None) -> bytes | None:
    """The bytes to embed for `src`, or None (then its alt text shows)."""
    match = _DATA_URI.fullmatch(src.strip())
    if match is not None:
        if len(src) > MAX_DATA_URI:
            return None
        try:
            return base64.b64decode(match.group(2), validate=False)
        except (binascii.Error, ValueError):
            return None
    return resolve(src) if resolve is not None else None


def as_png_or_jpeg(data: bytes) -> tuple[bytes, int, int] | None:
    """`data` as a PNG or JPEG both renderers read (GIF and WebP are re-encoded as PNG) with
    its size in pixels; None when it is not an image Pillow reads, or too large."""
    from PIL import Image, UnidentifiedImageError  # only printing needs Pillow: loaded then

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
                return None
            if image.format in ("PNG", "JPEG"):
                return data, width, height
            out = io.BytesIO()
            image.convert("RGBA").save(out, format="PNG")
            return out.getvalue(), width, height
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
