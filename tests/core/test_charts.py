"""Charts: Chinese labels draw in a CJK font (no missing glyphs), at about 1000×700 px."""

from __future__ import annotations

import struct
import warnings
from collections.abc import Callable, Iterator

import pytest

from handlers.reporting import charts


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def every_chart() -> list[bytes]:
    """One chart of each kind, labelled in Chinese with the marks the reports use (↓ · ¥ 万 亿 （）)."""
    return [
        charts.funnel("销售漏斗 · 2026年11月", [("潜在", 35), ("已确认", 34), ("方案报价", 20), ("谈判", 9), ("赢单", 4)],
                      ["↓ 97%", "↓ 59%", "↓ 45%", "↓ 44%"]),
        charts.bars("各来源赢单金额 · 2026年第4季度",
                    [charts.Bar("转介绍", 2.3e7, note="¥2336万 · 赢率 57%"), charts.Bar("未填来源", 0, note="¥0 · 赢率 —"),
                     charts.Bar("展会（华东）", 1.5e8, note="¥1.5亿")], "zh"),
        charts.bars("各阶段停留天数", [charts.Bar("潜在", 10.5, 16.45, "中位 10.5 · P90 16.4 天")], "zh", money=False,
                    unit="天", legend=("中位数", "P90")),
        charts.bars("目标完成", [charts.Bar("华东销售部（团队）", 2e5, 5e5, "40% · ¥20万 / ¥50万")], "zh",
                    legend=("已赢单", "目标")),
        charts.forecast("销售预测 · 2026年第4季度", [charts.MonthBar("10月", 6e4, 0), charts.MonthBar("11月", 1.4e5, 1.6e5),
                                               charts.MonthBar("12月", 0, 1.5e4)], 5e5, "zh",
                        ("已赢单", "加权预测", "累计", "目标")),
    ]


def glyph_warnings(draw: Callable[[], object]) -> list[str]:
    """matplotlib's “Glyph … missing from font(s) …” warnings while `draw` runs."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw()
    return [str(w.message) for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]


@pytest.fixture
def no_font_cache() -> Iterator[None]:
    charts.cjk_font.cache_clear()
    charts._bold.cache_clear()
    yield
    charts.cjk_font.cache_clear()
    charts._bold.cache_clear()


def test_a_cjk_font_is_installed() -> None:
    # Fails (does not skip) on a machine without one, saying what to install.
    assert charts.cjk_font()


def test_chinese_charts_render_without_missing_glyphs() -> None:
    pngs: list[bytes] = []
    missing = glyph_warnings(lambda: pngs.extend(every_chart()))
    assert missing == [], missing[:3]
    assert [png_size(p) for p in pngs] == [(1000, 700)] * len(pngs)


def test_the_glyph_check_catches_a_font_without_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(charts, "cjk_font", lambda: "DejaVu Sans")
    missing = glyph_warnings(every_chart)
    assert missing and "missing from font" in missing[0]


def test_without_a_cjk_font_a_chart_fails_clearly(monkeypatch: pytest.MonkeyPatch, no_font_cache: None) -> None:
    monkeypatch.setattr(charts, "CJK_FAMILIES", ("No Such CJK Font",))
    monkeypatch.setattr(charts, "FONT_DIRS", ())
    monkeypatch.setattr(charts, "_packaged", lambda _fm: None)
    monkeypatch.delenv("SALESBOT_CJK_FONT", raising=False)
    with pytest.raises(charts.NoCJKFont, match="SALESBOT_CJK_FONT"):
        every_chart()


def label_pixels(text: str) -> bytes:
    """The pixels of one label drawn as the charts draw text, in the CJK font they use."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1), dpi=100)
    fig.text(0.1, 0.3, text, family=charts.cjk_font(), size=28)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return bytes(canvas.buffer_rgba())


def test_two_chinese_labels_draw_different_glyphs_not_tofu_boxes() -> None:
    blank = label_pixels("")
    east, south = label_pixels("华东"), label_pixels("华南")
    assert east != blank and south != blank
    assert east != south  # missing glyphs would draw the same empty boxes for both


def test_the_bundled_font_is_found_without_any_system_font() -> None:
    from matplotlib import font_manager

    assert charts._packaged(font_manager) == "Noto Sans CJK SC"  # from the noto-cjk-sans-otc wheel
