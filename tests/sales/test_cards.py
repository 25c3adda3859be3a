"""Business cards read from photos: the shared eval cards, synthetic held-out cards, pictures that are not cards."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from sales.cards import CardReading, NotACard, read_card, warm_up
from sales.cards import ocr as cards_ocr
from tests.conftest import shared_file
from tests.sales import cardgen

pytestmark = pytest.mark.slow  # the OCR model: seconds a test; CI runs them all

ROOT = Path(__file__).resolve().parents[2]
FIELDS = ("company", "person", "title", "mobile", "phone", "email", "address")


@pytest.fixture(scope="module", autouse=True)
def model() -> None:
    """The OCR model loaded once for the module (as a process does at start)."""
    warm_up()


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the OCR passes a read makes."""
    count = [0]
    see = cards_ocr.see

    def counted(picture: Image.Image) -> cards_ocr.Seen:
        count[0] += 1
        return see(picture)

    monkeypatch.setattr(cards_ocr, "see", counted)
    yield count


def score(cases: list[tuple[str, bytes, dict[str, str | None]]], label: str) -> dict[str, float]:
    """Read every case, print per-field accuracy and the misses, return the accuracy per field and overall."""
    right: Counter[str] = Counter()
    misses = []
    for name, data, truth in cases:
        got = read_card(data)
        fields = got.fields.as_dict() if isinstance(got, CardReading) else {}
        for field in FIELDS:
            if cardgen.same(field, truth.get(field), fields.get(field)):
                right[field] += 1
            else:
                misses.append(f"  {name} {field}: want {truth.get(field)!r}, got {fields.get(field, got)!r}")
    n = len(cases)
    accuracy = {field: right[field] / n for field in FIELDS}
    accuracy["key"] = sum(right[f] for f in cardgen.KEY_FIELDS) / (n * len(cardgen.KEY_FIELDS))
    print(f"\n{label}: {n} cards, key fields (company, person, title, mobile, email) {accuracy['key']:.1%}")
    print("  " + "  ".join(f"{field} {accuracy[field]:.0%}" for field in FIELDS))
    print("\n".join(misses))
    return accuracy


def test_the_eval_cards_read_right() -> None:
    truth_file = shared_file("eval", "cards", "truth.jsonl")
    cases = []
    for row in map(json.loads, truth_file.read_text(encoding="utf-8").splitlines()):
        cases.append((row["file"], shared_file("eval", "cards", row["file"]).read_bytes(), row))
    accuracy = score(cases, "eval cards")
    assert accuracy["key"] >= 0.95


@pytest.mark.slow
def test_synthetic_cards_never_seen_read_right() -> None:
    shots = cardgen.cards(seed=20261206, count=36)
    cases = [(f"#{i} ({shot.note})", shot.data, shot.truth) for i, shot in enumerate(shots)]
    accuracy = score(cases, "synthetic held-out cards")
    assert accuracy["key"] >= 0.95


@pytest.mark.parametrize("name", ["landscape", "chart", "chat", "receipt", "document"])
def test_a_picture_that_is_not_a_card_is_said_so_quickly(name: str, passes: list[int]) -> None:
    data = dict(cardgen.not_cards(seed=3))[name]
    got = read_card(data)
    assert isinstance(got, NotACard), got
    assert passes[0] <= (1 if name == "landscape" else 2)  # no search through every orientation


@pytest.mark.parametrize("data", [b"", b"not a picture", b"\xff\xd8\xff\xe0" + b"\x00" * 64])
def test_bytes_that_are_no_picture_are_not_a_card(data: bytes) -> None:
    assert read_card(data) == NotACard("not_an_image")


def test_a_truncated_photo_is_not_a_card() -> None:
    data = cardgen.cards(seed=5, count=1)[0].data
    assert read_card(data[: len(data) // 3]) == NotACard("not_an_image")


def test_any_orientation_reads_the_same(passes: list[int]) -> None:
    rng = cardgen.random.Random(11)
    card = cardgen.person(rng, "zh")
    photo, _ = cardgen.photograph(rng, cardgen.draw_card(rng, card))
    found = []
    for turn, exif in ((0, False), (90, False), (180, False), (270, False), (90, True)):
        data, _ = cardgen.encode(rng, photo, turn, exif)
        got = read_card(data)
        assert isinstance(got, CardReading), (turn, exif, got)
        found.append((turn, exif, {f: cardgen.same(f, card.truth()[f], got.fields.as_dict()[f]) for f in FIELDS}))
    for turn, exif, right in found:
        assert all(right[f] for f in cardgen.KEY_FIELDS), (turn, exif, right)
    assert passes[0] <= 1 + 3 + 2 + 3 + 1  # upright and EXIF-turned: one pass; a half turn two; a quarter three


def test_a_transparent_png_is_read_on_white() -> None:
    rng = cardgen.random.Random(3)
    card = cardgen.person(rng, "zh")
    drawn = cardgen.draw_card(rng, card)
    ink = ImageChops.difference(drawn, Image.new("RGB", drawn.size, drawn.getpixel((2, 2)))).convert("L")
    drawn.putalpha(ink.point(lambda v: 255 if v > 0 else 0))  # only the print is opaque: the paper is gone
    out = io.BytesIO()
    drawn.save(out, "PNG")
    got = read_card(out.getvalue())
    assert isinstance(got, CardReading) and got.fields.mobile == card.mobile and got.fields.person == card.person


def test_reads_from_several_threads_agree() -> None:
    shots = cardgen.cards(seed=9, count=2)
    alone = [read_card(shot.data) for shot in shots]
    together: list[object] = [None] * 4

    def read(i: int) -> None:
        together[i] = read_card(shots[i % 2].data)

    threads = [threading.Thread(target=read, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert together == alone + alone


def test_a_large_phone_photo_is_read_at_a_reasonable_size() -> None:
    rng = cardgen.random.Random(13)
    card = cardgen.person(rng, "en")
    photo, _ = cardgen.photograph(rng, cardgen.draw_card(rng, card), large=True)
    out = io.BytesIO()
    photo.resize((4032, 3024)).save(out, "JPEG", quality=85)
    start = time.process_time()
    got = read_card(out.getvalue())
    assert isinstance(got, CardReading)
    assert got.fields.email == card.email and got.fields.mobile == card.mobile
    assert time.process_time() - start < 20  # CPU seconds, whatever else the machine is doing


def test_importing_the_package_loads_no_ocr_runtime() -> None:
    code = "import sys, sales.cards; print(sorted(m for m in ('onnxruntime', 'cv2', 'rapidocr') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_models_ship_in_the_wheel_and_nothing_is_fetched() -> None:
    # A fresh process where opening any socket fails: loading the model and reading a card must not notice.
    code = (
        "import sys\n"
        "def hook(event, args):\n"
        "    if event.startswith('socket.') or event in ('urllib.Request', 'http.client.connect'):\n"
        "        raise RuntimeError('network used: ' + event)\n"
        "sys.addaudithook(hook)\n"
        "from sales.cards import read_card, warm_up\n"
        "from sales.cards.ocr import _models\n"
        "print(sorted(p.rsplit('/', 1)[-1] for p in _models().values()))\n"
        "warm_up()\n"
        "print(type(read_card(sys.stdin.buffer.read())).__name__)\n"
    )
    data = cardgen.cards(seed=4, count=1)[0].data
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, input=data, capture_output=True, check=False)
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout.decode().split("\n")[:2] == ["['PP-OCRv6_det_small.onnx', 'PP-OCRv6_rec_small.onnx']",
                                                   "CardReading"]
