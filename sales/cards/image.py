"""Photos in: decoded from JPEG, PNG or WebP bytes, turned upright by their EXIF tag, made small enough to read fast."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

LONGEST = 1600  # pixels: a card filling half of the frame still has its small print some 12 px high
MAX_PIXELS = 60_000_000  # a 60-megapixel photo is the most a phone sends; more is a decompression bomb


class BadImage(Exception):
    """The bytes are not a picture Pillow can read."""


def load(data: bytes, longest: int = LONGEST) -> Image.Image:
    """The picture as RGB, upright by its EXIF orientation, its longest side at most `longest` pixels."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(data))
            if picture.width * picture.height > MAX_PIXELS:
                raise BadImage("too many pixels")
            picture.draft("RGB", (longest, longest))  # JPEG: decode at 1/2, 1/4 or 1/8 scale, far quicker
            upright = ImageOps.exif_transpose(picture) or picture
            upright = _on_white(upright)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise BadImage(str(e)) from e
    if max(upright.size) > longest:
        upright.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    return upright


def _on_white(picture: Image.Image) -> Image.Image:
    """RGB, with any transparency laid on white (a transparent PNG's text would otherwise sit on black)."""
    if picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info):
        rgba = picture.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return picture.convert("RGB")


def turned(picture: Image.Image, degrees: int) -> Image.Image:
    """The picture turned counter-clockwise by a multiple of 90 degrees."""
    steps = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_270}
    return picture.transpose(steps[degrees % 360]) if degrees % 360 else picture
