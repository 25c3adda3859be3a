"""The OCR model (RapidOCR's PP-OCRv6 ONNX models, shipped in its wheel): loaded once per process, one read at a time."""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import statistics
import threading
from dataclasses import dataclass
from importlib import resources
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from sales.cards.types import Line

_lock = threading.Lock()
_engine: Any = None
DETECTION_SIDE = 736
_SIDEWAYS = 1.5  # a box this many times taller than wide holds text running up or down the picture


Quad = tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class Seen:
    """What one OCR pass saw: the lines, how well they read (0 to 1), and the share of boxes standing on end."""

    lines: tuple[Line, ...]
    quality: float
    sideways: float
    extent: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # the boxes' bounds in the picture

    @property
    def weight(self) -> float:
        """How much text read well: characters weighted by confidence."""
        return sum(line.score * len(line.text) for line in self.lines)


def _models() -> dict[str, str]:
    """The paths of the models inside the installed rapidocr package (never a download)."""
    folder = resources.files("rapidocr") / "models"
    det, rec = folder / "PP-OCRv6_det_small.onnx", folder / "PP-OCRv6_rec_small.onnx"
    for model in (det, rec):
        if not model.is_file():
            raise FileNotFoundError(f"{model} is missing: reinstall rapidocr")
    return {"Det.model_path": str(det), "Rec.model_path": str(rec)}


def _build() -> Any:
    """A RapidOCR engine on the packaged models, quiet, without its text-direction classifier."""
    from rapidocr import RapidOCR  # the heavy import (onnxruntime, OpenCV) happens here, on first use

    params: dict[str, Any] = {
        "Global.log_level": "error",
        "Global.use_cls": False,  # upside-down pictures are turned whole (reading.py), which is cheaper
        "Global.max_side_len": 2000,
        "Det.limit_type": "max",
        "Det.limit_side_len": DETECTION_SIDE,  # detection on at most this; text is read from the larger picture
        "Rec.rec_batch_num": 3,  # lines read three at a time, not six: some 60 MB less at the peak, as fast
        **_models(),
    }
    return RapidOCR(params=params)


def _engine_now() -> Any:
    """The process's engine, built on first use (callers hold the lock)."""
    global _engine
    if _engine is None:
        _engine = _build()
    return _engine


def warm_up() -> None:
    """Load the models and run one small read, so that the first card of the process is not slow."""
    sample = Image.new("RGB", (360, 120), "white")
    ImageDraw.Draw(sample).text((20, 30), "Tel 138", fill="black", font=ImageFont.load_default(size=48))
    see(sample)


def see(picture: Image.Image) -> Seen:
    """Read the text of a picture (one read at a time per process: the model already uses every core)."""
    with _lock:
        result = _engine_now()(picture)
        _give_back_memory()
    quads = () if result.boxes is None else tuple(tuple((float(x), float(y)) for x, y in b) for b in result.boxes)
    return _seen(quads, tuple(result.txts or ()), tuple(float(s) for s in (result.scores or ())))


def _length(edge: tuple[float, float]) -> float:
    return math.hypot(*edge)


def _seen(quads: tuple[Quad, ...], texts: tuple[str, ...], scores: tuple[float, ...]) -> Seen:
    """Lines in the deskewed frame and in reading order, with the pass's quality and share of upright boxes."""
    if not quads:
        return Seen((), 0.0, 0.0)
    slopes, standing = [], 0
    for quad in quads:
        edges = [(quad[(i + 1) % 4][0] - quad[i][0], quad[(i + 1) % 4][1] - quad[i][1]) for i in range(4)]
        long, short = max(edges, key=_length), min(edges, key=_length)
        if math.hypot(*long) < _SIDEWAYS * math.hypot(*short):
            continue  # a square box says nothing of the text's direction
        angle = math.atan2(long[1], long[0])
        angle = angle - math.pi if angle > math.pi / 2 else angle + math.pi if angle <= -math.pi / 2 else angle
        if abs(angle) > math.pi / 4:
            standing += 1
        else:
            slopes.append(angle)
    long_boxes = standing + len(slopes)
    sideways = standing / long_boxes if long_boxes else 0.0
    rotate = -statistics.median(slopes) if slopes else 0.0
    cos, sin = math.cos(rotate), math.sin(rotate)
    lines = []
    for quad, text, score in zip(quads, texts, scores, strict=True):
        xs = [x * cos - y * sin for x, y in quad]
        ys = [x * sin + y * cos for x, y in quad]
        lines.append(Line(text, (min(xs), min(ys), max(xs), max(ys)), score))
    lines.sort(key=lambda line: line.middle)
    rows: list[list[Line]] = []
    for line in lines:  # a row: lines whose middles are within half a line of each other
        if rows and abs(line.middle - rows[-1][-1].middle) < 0.5 * min(line.height, rows[-1][-1].height):
            rows[-1].append(line)
        else:
            rows.append([line])
    ordered = tuple(line for row in rows for line in sorted(row, key=lambda line: line.box[0]))
    chars = sum(len(t) for t in texts) or 1
    quality = sum(s * len(t) for t, s in zip(texts, scores, strict=True)) / chars
    xs, ys = [x for quad in quads for x, _ in quad], [y for quad in quads for _, y in quad]
    return Seen(ordered, quality, sideways, (min(xs), min(ys), max(xs), max(ys)))


_trim: Any = None


def _give_back_memory() -> None:
    """Return the freed memory of a read to the system (glibc keeps it otherwise: some 150 MB per process)."""
    global _trim
    if _trim is None:
        name = ctypes.util.find_library("c")
        libc = ctypes.CDLL(name) if name else None
        _trim = getattr(libc, "malloc_trim", False)
    if _trim:
        _trim(0)
