"""Which image a body of bytes is, by its content (magic bytes), never by its name or the
Content-Type a client claims: PNG, JPEG, GIF and WebP only. SVG is refused on purpose (it can
carry script), and so is everything else."""

from __future__ import annotations

PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"
ACCEPTED = (PNG, JPEG, GIF, WEBP)

_PREFIXES = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
)


def sniff(data: bytes) -> str | None:
    """The content type of `data` if it starts as one of the accepted images, else None."""
    for prefix, media in _PREFIXES:
        if data.startswith(prefix):
            return media
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None
