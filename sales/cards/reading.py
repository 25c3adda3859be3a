"""read_card: a photo's bytes in, the card's fields (or why it is not a card) out."""

from __future__ import annotations

from sales.cards import ocr
from sales.cards.fields import read_lines
from sales.cards.image import BadImage, load, turned
from sales.cards.types import CardReading, NotACard

GOOD = 0.85  # a pass whose characters read with less confidence than this on average may be upside down


def read_card(image: bytes, region: str = "CN") -> CardReading | NotACard:
    """Read a business card from a photo (JPEG, PNG, WebP; any orientation); pure over the bytes, thread-safe."""
    try:
        picture = load(image)
    except BadImage:
        return NotACard("not_an_image")
    first = ocr.see(picture)
    passes = [first]
    if len(first.lines) >= 2 and first.sideways > 0.5:
        # Text running up or down: the card lies on its side. The OCR turns such boxes a quarter
        # counter-clockwise before reading them; if they read well, the picture wants that turn, else the other.
        # (The first pass's text is not kept: long lines read on end come out worse than read upright.)
        for degrees in (90, 270) if first.quality >= GOOD else (270, 90):
            passes.append(ocr.see(turned(picture, degrees)))
            if _upright(passes[-1]):
                break
    elif len(first.lines) >= 2 and first.quality < GOOD:
        passes.append(ocr.see(turned(picture, 180)))
    best = max(passes, key=lambda seen: (seen.sideways <= 0.5, seen.quality))
    return read_lines(best.lines, region)


def _upright(seen: ocr.Seen) -> bool:
    """Whether a pass read lines lying flat, and read them well."""
    return seen.sideways <= 0.5 and seen.quality >= GOOD
