"""read_card: a photo's bytes in, the card's fields (or why it is not a card) out."""

from __future__ import annotations

import statistics

from PIL import Image

from sales.cards import ocr
from sales.cards.fields import read_lines
from sales.cards.image import BadImage, load, turned
from sales.cards.types import CardReading, NotACard

GOOD = 0.85  # a pass whose characters read with less confidence than this on average may be upside down
SMALL_PRINT = 20  # pixels of line height, as the detector sees them, under which a closer look pays


def read_card(image: bytes, region: str = "CN") -> CardReading | NotACard:
    """Read a business card from a photo (JPEG, PNG, WebP; any orientation); pure over the bytes, thread-safe."""
    try:
        picture = load(image)
    except BadImage:
        return NotACard("not_an_image")
    first = ocr.see(picture)
    passes = [(first, picture)]
    if len(first.lines) >= 2 and first.sideways > 0.5:
        # Text running up or down: the card lies on its side. The OCR turns such boxes a quarter
        # counter-clockwise before reading them; if they read well, the picture wants that turn, else the other.
        # (The first pass's text is not kept: long lines read on end come out worse than read upright.)
        for degrees in (90, 270) if first.quality >= GOOD else (270, 90):
            upright = turned(picture, degrees)
            passes.append((ocr.see(upright), upright))
            if _upright(passes[-1][0]):
                break
    elif len(first.lines) >= 2 and first.quality < GOOD:
        upright = turned(picture, 180)
        passes.append((ocr.see(upright), upright))
    best, seen_in = max(passes, key=lambda p: (p[0].sideways <= 0.5, p[0].quality))
    closer = _closer(seen_in, best) if best.sideways <= 0.5 else None
    if closer is not None:
        again = ocr.see(closer)
        if again.weight > best.weight:
            best = again
    return read_lines(best.lines, region)


def _upright(seen: ocr.Seen) -> bool:
    """Whether a pass read lines lying flat, and read them well."""
    return seen.sideways <= 0.5 and seen.quality >= GOOD


def _closer(picture: Image.Image, seen: ocr.Seen) -> Image.Image | None:
    """The part of the picture that holds the text, when the card is small in the photo and its print too
    small for the detector (which sees at most ocr.DETECTION_SIDE pixels); else None."""
    if len(seen.lines) < 2:
        return None
    scale = ocr.DETECTION_SIDE / max(picture.size)
    if statistics.median(line.height for line in seen.lines) * scale >= SMALL_PRINT:
        return None
    left, top, right, bottom = seen.extent
    margin = 0.08 * max(right - left, bottom - top)
    box = (max(0, round(left - margin)), max(0, round(top - margin)), min(picture.width, round(right + margin)),
           min(picture.height, round(bottom + margin)))
    if max(box[2] - box[0], box[3] - box[1]) * 1.4 > max(picture.size):
        return None  # the text fills the photo: a closer look would see no more
    return picture.crop(box)
