"""How a Work's file may be shown to a browser from the studio's own origin.

A Work's media type is whatever its maker said (an upload's Content-Type, an imported manifest), so it is
not trusted: an uploaded HTML or SVG page shown inline would run its script with the studio's cookies
and could read the whole library. Only passive types are shown inline; everything else is a download,
and types a browser would execute are sent as application/octet-stream.
"""

from __future__ import annotations

import re

# type/subtype with optional parameters (RFC 6838 names), e.g. "text/plain; charset=utf-8"
MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}"
                        r"(\s*;\s*[a-z0-9_.+-]{1,40}=(\"[^\"\\\x00-\x1f\x7f]{0,60}\"|[a-z0-9_.+-]{1,60}))*",
                        re.IGNORECASE)
INLINE_IMAGES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/avif")
NOT_PLAYABLE = ("audio/midi", "audio/x-midi", "audio/mid")  # audio/* that no browser plays
# Sent with every file a Work holds: no sniffing, no script, no plugins, and a sandbox (a unique origin) in case
# a browser renders it as a page anyway.
CONTENT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; img-src 'self' data:; media-src 'self'; "
                               "style-src 'unsafe-inline'; sandbox",
}
_CHARSET = re.compile(r"charset=\"?([A-Za-z0-9_.:-]{1,40})\"?", re.IGNORECASE)
_OCTETS = "application/octet-stream"


def base_type(media_type: str | None) -> str:
    """'Text/Plain; charset=utf-8' -> 'text/plain'; '' when it is not a well-formed media type."""
    value = (media_type or "").strip()
    if len(value) > 200 or not MEDIA_TYPE.fullmatch(value):
        return ""
    return value.split(";")[0].strip().lower()


def is_inline(media_type: str | None) -> bool:
    """Whether a browser may show the file in a page or tab: raster images, audio, video and plain text."""
    base = base_type(media_type)
    return base in INLINE_IMAGES or base.startswith(("audio/", "video/")) or base == "text/plain"


def is_active(media_type: str | None) -> bool:
    """Types a browser would run as a page, a script or a style: HTML, SVG and other XML, JavaScript."""
    base = base_type(media_type)
    return (not base or base.endswith(("+xml", "/xml", "/xsl", "/xslt")) or "html" in base or "script" in base
            or base.startswith("multipart/") or base in ("text/css", "application/x-shockwave-flash"))


def served_type(media_type: str | None) -> str:
    """The Content-Type to send: plain text always with its charset, active or malformed types as octets."""
    base = base_type(media_type)
    if base == "text/plain":
        found = _CHARSET.search(media_type or "")
        return f"text/plain; charset={found.group(1) if found else 'utf-8'}"
    if is_active(media_type):
        return _OCTETS
    return base if is_inline(media_type) else media_type.strip()


def preview(media_type: str | None) -> str | None:
    """How a page may show the file itself: 'image', 'audio' or 'video'; None for a download link."""
    base = base_type(media_type)
    if base in INLINE_IMAGES:
        return "image"
    if base.startswith("audio/") and base not in NOT_PLAYABLE:
        return "audio"
    if base.startswith("video/"):
        return "video"
    return None
