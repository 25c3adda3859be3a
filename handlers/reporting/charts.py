"""Report charts as PNG images: about 1000×700 px, large type, Chinese labels in a CJK font.

matplotlib is imported only when a chart is drawn, and only its Agg canvas is used (no display, no
pyplot state). Chinese is drawn in SALESBOT_CJK_FONT, else a CJK font of the system, else Noto Sans CJK
from the noto-cjk-sans-otc wheel (a dependency, OFL-licensed), so a fresh machine needs nothing installed.
"""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "Source Han Sans",
                "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK TC", "Noto Sans CJK JP")
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts", "/Library/Fonts",
             "/System/Library/Fonts")
FONT_FILES = ("NotoSansCJK*", "NotoSansSC*", "SourceHanSans*", "wqy-microhei*", "wqy-zenhei*")
SIZE = (10, 7)  # inches at 100 dpi: 1000×700 px
DPI = 100
INK, MUTED, GRID = "#1f2937", "#6b7280", "#e5e7eb"
MAIN, LIGHT, GOOD, WARN = "#2563eb", "#bfdbfe", "#16a34a", "#dc2626"
MAX_ROWS = 12


class NoCJKFont(RuntimeError):
    """No font on this machine can draw Chinese."""

    def __init__(self) -> None:
        super().__init__("No CJK font found (looked for " + ", ".join(CJK_FAMILIES[:6]) + "). Reinstall "
                         "salesbot (its noto-cjk-sans-otc dependency ships one), or set SALESBOT_CJK_FONT to "
                         "a .ttf/.otf/.ttc file.")


@functools.cache
def cjk_font() -> str:
    """The family name of a CJK font on this machine; NoCJKFont when there is none."""
    from matplotlib import font_manager

    override = os.environ.get("SALESBOT_CJK_FONT")
    if override and Path(override).is_file():
        font_manager.fontManager.addfont(override)
        return font_manager.FontProperties(fname=override).get_name()
    found = _known_family(font_manager)
    if found is None:
        # matplotlib's font cache may predate the font's installation: register the files directly.
        for folder in FONT_DIRS:
            root = Path(folder).expanduser()
            for pattern in FONT_FILES if root.is_dir() else ():
                for path in root.rglob(pattern):
                    font_manager.fontManager.addfont(str(path))
        found = _known_family(font_manager)
    if found is None:
        found = _packaged(font_manager)
    if found is None:
        raise NoCJKFont()
    return found


def _packaged(font_manager: Any) -> str | None:
    """Noto Sans CJK from the noto-cjk-sans-otc wheel, when it is installed."""
    try:
        from noto_cjk_sans_otc import FONT_PATH
    except ImportError:
        return None
    font_manager.fontManager.addfont(str(FONT_PATH))
    return _known_family(font_manager)


@functools.cache
def _bold() -> str:
    """Bold when the CJK font has a bold face (the bundled Noto Sans CJK has only Regular), else normal, so
    matplotlib does not log a warning for every title it draws."""
    from matplotlib import font_manager

    family = cjk_font()
    heavy = any(f.name == family and _weight(f.weight) >= 600 for f in font_manager.fontManager.ttflist)
    return "bold" if heavy else "normal"


def _weight(value: object) -> int:
    names = {"normal": 400, "regular": 400, "medium": 500, "semibold": 600, "demibold": 600, "bold": 700,
             "heavy": 800, "extra bold": 800, "black": 900}
    return value if isinstance(value, int) else names.get(str(value).lower(), 400)


def _known_family(font_manager: Any) -> str | None:
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((f for f in CJK_FAMILIES if f in names), None)


def short_money(value: float, lang: str) -> str:
    """¥120万 / ¥1.2亿 in Chinese, ¥350k / ¥1.2M in English."""
    v = float(value)
    steps: tuple[tuple[float, str], ...] = ((1e8, "亿"), (1e4, "万")) if lang == "zh" else \
        ((1e9, "B"), (1e6, "M"), (1e3, "k"))
    for size, unit in steps:
        if abs(v) >= size:
            n = v / size
            return f"¥{n:.0f}{unit}" if abs(n) >= 100 else f"¥{n:.3g}{unit}"
    return f"¥{v:.0f}"


def _text_px(text: str, points: float) -> float:
    """About how wide `text` draws: a CJK character is one em, other characters about 0.6 em."""
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.6 for ch in text) * points * DPI / 72


@contextmanager
def _canvas(title: str, labels: Sequence[str], *, x_axis: bool = True, legend: bool = False,
            x_label: bool = False) -> Iterator[tuple[Figure, Axes]]:
    """A figure with one axes, drawn with the CJK font and large type.

    Margins come from the labels' estimated widths rather than a layout engine, which would
    draw every text once more to measure it and double the chart's cost.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    family = cjk_font()
    with matplotlib.rc_context({"font.family": [family, "DejaVu Sans"], "font.size": 17,
                                "axes.edgecolor": GRID, "axes.labelcolor": INK, "text.color": INK,
                                "xtick.color": MUTED, "ytick.color": INK, "xtick.labelsize": 15,
                                "ytick.labelsize": 17, "legend.fontsize": 15, "legend.frameon": False,
                                "axes.unicode_minus": False, "text.parse_math": False}):
        fig = Figure(figsize=SIZE, dpi=DPI)
        FigureCanvasAgg(fig)
        width, height = SIZE[0] * DPI, SIZE[1] * DPI
        left = min(0.45, (max((_text_px(t, 17) for t in labels), default=0) + 28) / width)
        bottom = (46 if x_axis else 12) + (34 if x_label else 0) + (44 if legend else 0)
        fig.subplots_adjust(left=left, right=0.97, top=1 - 80 / height, bottom=bottom / height)
        fig.suptitle(title, x=0.02, y=1 - 18 / height, ha="left", va="top", fontsize=24, fontweight=_bold())
        ax = fig.add_subplot()
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        yield fig, ax


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white", pil_kwargs={"compress_level": 3})
    return buf.getvalue()


def _money_axis(ax: Axes, lang: str, axis: Literal["x", "y"] = "x") -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_formatter(FuncFormatter(lambda v, _pos: short_money(v, lang)))
    target.set_major_locator(MaxNLocator(5))
    ax.grid(axis=axis, color=GRID)
    ax.set_axisbelow(True)


def _legend(fig: Figure) -> None:
    """The legend in a row under the plot, where it covers no bar or note."""
    fig.legend(loc="lower center", bbox_to_anchor=(0.5, 0.005), ncols=4, handlelength=1.4, columnspacing=1.6)


@dataclass(frozen=True)
class Bar:
    """One labelled bar: its value, an optional lighter value behind it, and the note beside it."""

    label: str
    value: float
    behind: float = 0.0
    note: str = ""


def funnel(title: str, steps: Sequence[tuple[str, int]], between: Sequence[str]) -> bytes:
    """Centred bars, widest first, with the conversion between consecutive steps."""
    with _canvas(title, [label for label, _ in steps], x_axis=False) as (fig, ax):
        top = max((v for _, v in steps), default=0) or 1
        ys = list(range(len(steps)))[::-1]
        for y, (_label, v) in zip(ys, steps, strict=True):
            ax.barh(y, max(v, top * 0.004), left=(top - v) / 2, height=0.72, color=GOOD if y == 0 else MAIN)
            inside = v >= top * 0.2
            ax.text(top / 2 if inside else (top + v) / 2 + top * 0.02, y, f"{v:,}", va="center",
                    ha="center" if inside else "left", color="white" if inside else INK, fontsize=19,
                    fontweight=_bold())
        for y, text in zip(ys[1:], between, strict=False):
            ax.text(top * 1.02, y + 0.5, text, va="center", ha="left", color=MUTED, fontsize=15)
        ax.set_yticks(ys, [label for label, _ in steps])
        ax.set_xlim(0, top * 1.32)
        ax.set_xticks([])
        ax.spines["bottom"].set_visible(False)
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        return _png(fig)


def bars(title: str, rows: Sequence[Bar], lang: str, *, money: bool = True, unit: str = "",
         legend: tuple[str, str] | None = None) -> bytes:
    """Horizontal bars, first row on top, each with its note; `behind` draws a lighter bar under the value."""
    rows = list(rows)[:MAX_ROWS]
    x_label = not money and bool(unit)
    with _canvas(title, [r.label for r in rows], legend=legend is not None, x_label=x_label) as (fig, ax):
        ys = list(range(len(rows)))[::-1]
        top = max([max(r.value, r.behind) for r in rows] + [0]) or 1
        room = (fig.subplotpars.right - fig.subplotpars.left) * SIZE[0] * DPI
        if any(r.behind for r in rows):
            ax.barh(ys, [r.behind for r in rows], height=0.7, color=LIGHT, label=legend[1] if legend else None)
        ax.barh(ys, [r.value for r in rows], height=0.7 if not any(r.behind for r in rows) else 0.42,
                color=MAIN, label=legend[0] if legend else None)
        for y, r in zip(ys, rows, strict=True):
            ax.text(max(r.value, r.behind) + top * 0.015, y, r.note, va="center", ha="left", fontsize=15, color=INK)
        ax.set_yticks(ys, [r.label for r in rows])
        # Wide enough that every note fits right of its bar.
        ax.set_xlim(0, max([top * 1.15] + [(max(r.value, r.behind) + top * 0.015) * room
                                           / max(room - _text_px(r.note, 15) - 8, room * 0.3) for r in rows]))
        if money:
            _money_axis(ax, lang)
        else:
            ax.grid(axis="x", color=GRID)
            ax.set_axisbelow(True)
            if unit:
                ax.set_xlabel(unit)
        ax.tick_params(axis="y", length=0)
        if legend:
            _legend(fig)
        return _png(fig)


@dataclass(frozen=True)
class MonthBar:
    """A month of the forecast: won revenue and the weighted open pipeline expected in it."""

    label: str
    won: float
    weighted: float


def forecast(title: str, months: Sequence[MonthBar], target: float | None, lang: str,
             names: tuple[str, str, str, str]) -> bytes:
    """Won and weighted pipeline per month (stacked), their running total, and the target line."""
    won_name, weighted_name, total_name, target_name = names
    with _canvas(title, ["¥1000万"], legend=True) as (fig, ax):
        xs = list(range(len(months)))
        won = [m.won for m in months]
        weighted = [m.weighted for m in months]
        ax.bar(xs, won, width=0.6, color=GOOD, label=won_name)
        ax.bar(xs, weighted, width=0.6, bottom=won, color=LIGHT, label=weighted_name)
        running, total = [], 0.0
        for m in months:
            total += m.won + m.weighted
            running.append(total)
        ax.plot(xs, running, color=MAIN, marker="o", linewidth=3, markersize=9, label=total_name)
        ax.annotate(short_money(running[-1], lang), (xs[-1], running[-1]), textcoords="offset points",
                    xytext=(0, 12), ha="center", fontsize=17, fontweight=_bold(), color=MAIN)
        if target:
            ax.axhline(target, color=WARN, linestyle="--", linewidth=2.5, label=target_name)
            ax.annotate(f"{target_name} {short_money(target, lang)}", (1.0, target), xycoords=("axes fraction", "data"),
                        textcoords="offset points", xytext=(0, 6), ha="right", va="bottom", color=WARN,
                        fontsize=16, fontweight=_bold())
        ax.set_xticks(xs, [m.label for m in months])
        ax.set_ylim(0, max([*running, target or 0, 1]) * 1.18)
        _money_axis(ax, lang, axis="y")
        _legend(fig)
        return _png(fig)



@dataclass(frozen=True)
class ScorePoint:
    """A month's (or a rep's) average satisfaction score and how many answers it is made of."""

    label: str
    average: float | None
    answers: int


def csat(title: str, months: Sequence[ScorePoint], reps: Sequence[ScorePoint], names: tuple[str, str]) -> bytes:
    """Satisfaction: the monthly average as a line (left), each rep's average as bars (right); scores 1-5."""
    trend_name, reps_name = names
    reps = list(reps)[:MAX_ROWS]
    with _canvas(title, []) as (fig, ax):
        p = fig.subplotpars
        label_w = (max((_text_px(r.label, 15) for r in reps), default=0) + 20) / (SIZE[0] * DPI)
        split = 0.52
        top = p.top - 0.05  # room for each panel's own title under the chart's
        ax.set_position((0.07, p.bottom, split - 0.1, top - p.bottom))
        xs = [i for i, m in enumerate(months) if m.average is not None]
        ax.plot(xs, [months[i].average or 0.0 for i in xs], color=MAIN, marker="o", linewidth=3, markersize=9)
        for i in xs:
            m = months[i]
            ax.annotate(f"{m.average:.1f}\n({m.answers})", (i, m.average or 0), textcoords="offset points",
                        xytext=(0, 10), ha="center", fontsize=13, color=INK)
        crowded = len(months) > 6  # a year's twelve month names would run into each other on half the width
        ax.set_xticks(range(len(months)), [m.label for m in months], rotation=45 if crowded else 0,
                      fontsize=12 if crowded else None)
        ax.set_xlim(-0.6, max(len(months) - 0.4, 0.6))
        ax.set_ylim(0.5, 5.9)
        ax.set_yticks([1, 2, 3, 4, 5])
        ax.axhspan(0.5, 2.5, color="#fee2e2", zorder=0)
        ax.grid(axis="y", color=GRID)
        ax.set_axisbelow(True)
        ax.set_title(trend_name, fontsize=17, loc="left", color=MUTED)
        right = fig.add_axes((split + label_w, p.bottom, 0.97 - split - label_w, top - p.bottom))
        for side in ("top", "right"):
            right.spines[side].set_visible(False)
        ys = list(range(len(reps)))[::-1]
        right.barh(ys, [r.average or 0 for r in reps], height=0.6,
                   color=[WARN if (r.average or 0) <= 2.5 else MAIN for r in reps])
        for y, r in zip(ys, reps, strict=True):
            right.text((r.average or 0) + 0.08, y, f"{r.average or 0:.1f} ({r.answers})", va="center", fontsize=13)
        right.set_yticks(ys, [r.label for r in reps], fontsize=15)
        right.set_xlim(0, 6)
        right.set_xticks([1, 2, 3, 4, 5])
        right.tick_params(axis="y", length=0)
        right.grid(axis="x", color=GRID)
        right.set_axisbelow(True)
        right.set_title(reps_name, fontsize=17, loc="left", color=MUTED)
        return _png(fig)
