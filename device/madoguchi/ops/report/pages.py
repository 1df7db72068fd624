"""The municipality's report as A4 pages (Pillow images), in Japanese or English, from a period's
figures (:mod:`madoguchi.audit.figures`): what happened each day, how the scores fell, and how
often staff's decision went against the threshold, a field view of FNMR and FMR without one face.

    page 1   the period, the totals, transactions per day, staff's decisions against the threshold
    page 2   the scores in 10-point bins by source, a table by day (week, month), what the report holds
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from PIL import Image

from madoguchi.audit.figures import BIN_POINTS, BINS, DECISIONS, Counts, Figures
from madoguchi.counter.sources import SOURCES
from madoguchi.language import Language, Text
from madoguchi.ops.report.charts import Layer, bars, columns, legend
from madoguchi.ui.canvas import TextColumn
from madoguchi.ui.day_slip import day_label, outcome_label
from madoguchi.ui.fonts import find_font, text_width, wrap
from madoguchi.ui.messages import say
from madoguchi.ui.screens import AT_OR_ABOVE, BELOW, HEADER, INK, MUTED, PROBLEM

PAGE = (1240, 1754)
"""A4 at 150 dpi."""
UNIT = PAGE[0] / 595
"""A layout unit is a point of A4 (595 points wide)."""
MOST_SPANS = 31
"""The per-day chart and table show at most this many days; a longer period goes by week or month."""

CANCELLED_GREY = (175, 175, 175)
UNDECIDED_GREY = (215, 215, 215)
SOURCE_COLOURS = ((30, 60, 110), (95, 155, 210), (150, 105, 175), (120, 120, 120))
DECISION_COLOURS = {"issued": (40, 130, 80), "second_check": (225, 160, 30), "refused": PROBLEM}

WORDS = {
    "title": Text("窓口の顔照合 運用報告", "Face comparison at the counter: report"),
    "municipality": Text("自治体", "Municipality"),
    "period": Text("期間", "Period"),
    "terminals": Text("端末", "Terminals"),
    "thresholds": Text("基準値", "Threshold"),
    "made": Text("作成日時", "Made"),
    "totals": Text(
        "照合 {transactions} 件：基準以上 {at_or_above}、基準未満 {below}、照合できず {faults}、"
        "中止 {cancelled}",
        "{transactions} transactions: {at_or_above} at or above, {below} below, {faults} not scored, "
        "{cancelled} cancelled",
    ),
    "recorded": Text(
        "職員の判断の記録：スコアが出た {scored} 件のうち {decided} 件（{share}）",
        "Staff's decisions recorded: {decided} of {scored} scores ({share})",
    ),
    "per_span": Text("照合件数（{unit}）", "Transactions ({unit})"),
    "day": Text("日別", "by day"),
    "week": Text("週別（月曜から）", "by week, from Monday"),
    "month": Text("月別", "by month"),
    "not_scored": Text("照合できず（エラー）", "not scored (a fault)"),
    "cancelled": Text("中止", "cancelled"),
    "decisions": Text("職員の判断と基準値", "Staff's decisions against the threshold"),
    "side_above": Text("基準以上（{n} 件）", "at or above ({n})"),
    "side_below": Text("基準未満（{n} 件）", "below ({n})"),
    "issued_below": Text(
        "基準未満で交付：{n} 件。交付した {of} 件の {share}（本人が基準値に届かなかった割合："
        "現場でのFNMRの目安）",
        "Issued below the threshold: {n}, {share} of the {of} issued (holders who scored below it: "
        "the field's view of FNMR)",
    ),
    "refused_above": Text(
        "基準以上で交付せず：{n} 件。交付しなかった {of} 件の {share}（本人でないのに基準値を超えた割合："
        "現場でのFMRの目安）",
        "Refused at or above the threshold: {n}, {share} of the {of} refused (others who scored above it: "
        "the field's view of FMR)",
    ),
    "caveat": Text(
        "どちらも職員の判断を正しいとみなした目安です。再確認の結果や、照合以外の理由による不交付も含まれます。"
        "しきい値の見直しは、models/MODELS.md の測定表と合わせて検討してください。",
        "Both take staff's decision as the truth: a second check's outcome, or a refusal for another reason, "
        "counts too. Weigh a change of threshold against the measured table in models/MODELS.md.",
    ),
    "scores": Text("スコアの分布（10点刻み、区分別）", "Scores in 10-point bins, by source"),
    "threshold_at": Text("基準値 {threshold}", "threshold {threshold}"),
    "table": Text("内訳（{unit}）", "Breakdown ({unit})"),
    "span": Text("期間", "span"),
    "count": Text("件数", "total"),
    "above": Text("基準以上", "above"),
    "below": Text("基準未満", "below"),
    "faults": Text("エラー", "faults"),
    "cancel": Text("中止", "cancel"),
    "issued": Text("交付", "issued"),
    "second_check": Text("再確認", "check"),
    "refused": Text("交付せず", "refused"),
    "undecided": Text("記録なし", "none"),
    "issued_below_short": Text("未満で交付", "issued below"),
    "refused_above_short": Text("以上で不交付", "refused above"),
    "total": Text("合計", "Total"),
    "privacy": Text(
        "この報告は監査記録の番号・時刻・区分・スコア・判断だけから作られています。顔画像・氏名・個人番号は"
        "含まず、本機にも残していません。",
        "This report is made from the audit record's numbers, times, sources, scores and decisions only. "
        "It holds no face image, name or card number, and neither does the counter.",
    ),
    "damaged": Text("読めない記録行 {n} 行は集計から除きました。", "Unreadable record lines left out: {n}."),
    "page": Text("{n} / {of} ページ", "page {n} of {of}"),
}


TABLE_HEADS = (
    "count",
    "above",
    "below",
    "faults",
    "cancel",
    "issued",
    "second_check",
    "refused",
    "undecided",
    "issued_below_short",
    "refused_above_short",
)
"""The table's columns after the span, in :func:`_cells`' order."""


def word(key: str, language: Language, **values: object) -> str:
    text = WORDS[key](language)
    return text.format(**values) if values else text


def share(part: int, whole: int) -> str:
    return "–" if not whole else f"{100 * part / whole:.1f}%"


def faults(counts: Counts) -> int:
    """Transactions that ended without a score and were not cancelled (a fault, or cut off)."""
    return counts.transactions - counts.scored - counts.outcomes["cancelled"]


def _page(font: Path) -> TextColumn:
    column = TextColumn(
        Image.new("RGB", PAGE, (255, 255, 255)), font=font, unit=UNIT, margin=40, spacing=1.35
    )
    column.gap(10)
    return column


def _heading(column: TextColumn, text: str) -> None:
    column.gap(12)
    column.text(text, size=13, ink=HEADER)
    column.rule(ink=HEADER)


def _span_label(unit: str, first: date, last: date, language: Language) -> str:
    """A span's label under its column, on two lines."""
    if unit == "day":
        weekday = "月火水木金土日"[first.weekday()] if language == "ja" else first.strftime("%a")
        return f"{first.month}/{first.day}\n{weekday}"
    if unit == "week":
        return f"{first.month}/{first.day}\n–{last.month}/{last.day}"
    return f"{first.year}\n{first.month}" + ("月" if language == "ja" else "")


def report_pages(
    figures: Figures,
    *,
    language: Language = "ja",
    municipality: str = "",
    made: datetime,
    font: Path | None = None,
) -> list[Image.Image]:
    """The report's pages, each an RGB image of :data:`PAGE`."""
    found = find_font(font)
    pages = [
        _first_page(figures, language, municipality, made, found),
        _second_page(figures, language, found),
    ]
    for number, page in enumerate(pages, start=1):
        column = TextColumn(page, font=found, unit=UNIT, margin=40)
        column.y = PAGE[1] - round(30 * UNIT)
        column.text(word("page", language, n=number, of=len(pages)), size=8, ink=MUTED, centre=True)
    return pages


def _first_page(
    figures: Figures, language: Language, municipality: str, made: datetime, font: Path
) -> Image.Image:
    column = _page(font)
    total = figures.total
    column.text(word("title", language), size=20, ink=HEADER)
    column.gap(4)
    period = f"{day_label(figures.first, language)} – {day_label(figures.last, language)}"
    meta = [(word("period", language), period)]
    if municipality:
        meta.insert(0, (word("municipality", language), municipality))
    meta += [
        (word("terminals", language), ", ".join(sorted(figures.terminals)) or "–"),
        (word("thresholds", language), ", ".join(map(str, sorted(figures.thresholds))) or "–"),
        (word("made", language), made.strftime("%Y-%m-%d %H:%M")),
    ]
    for label, value in meta:
        column.text(f"{label}: {value}", size=10, ink=INK)
    column.gap(6)
    column.text(
        word(
            "totals",
            language,
            transactions=total.transactions,
            at_or_above=total.at_or_above,
            below=total.below,
            faults=faults(total),
            cancelled=total.outcomes["cancelled"],
        ),
        size=11,
        ink=INK,
    )
    decided = total.scored - total.undecided()
    column.text(
        word("recorded", language, scored=total.scored, decided=decided, share=share(decided, total.scored)),
        size=11,
        ink=INK,
    )
    unit, spans = figures.spans(MOST_SPANS)
    _heading(column, word("per_span", language, unit=word(unit, language)))
    layers = [
        Layer(say("at_or_above", language), AT_OR_ABOVE, [counts.at_or_above for *_, counts in spans]),
        Layer(say("below", language), BELOW, [counts.below for *_, counts in spans]),
        Layer(word("not_scored", language), PROBLEM, [faults(counts) for *_, counts in spans]),
        Layer(
            word("cancelled", language),
            CANCELLED_GREY,
            [counts.outcomes["cancelled"] for *_, counts in spans],
        ),
    ]
    legend(column, layers)
    column.gap(4)
    columns(
        column, [_span_label(unit, first, last, language) for first, last, _ in spans], layers, height=190
    )
    _heading(column, word("decisions", language))
    _decisions(column, total, language)
    return column.image


def _decisions(column: TextColumn, total: Counts, language: Language) -> None:
    layers = [
        Layer(
            say(kind, language),
            DECISION_COLOURS[kind],
            [total.decided(kind, True), total.decided(kind, False)],
        )
        for kind in DECISIONS
    ]
    layers.append(
        Layer(say("undecided", language), UNDECIDED_GREY, [total.undecided(True), total.undecided(False)])
    )
    legend(column, layers)
    column.gap(4)
    sides = [word("side_above", language, n=total.at_or_above), word("side_below", language, n=total.below)]
    bars(column, sides, layers, size=10)
    column.gap(6)
    issued, refused = total.decided("issued"), total.decided("refused")
    lines = (
        word(
            "issued_below", language, n=total.issued_below, of=issued, share=share(total.issued_below, issued)
        ),
        word(
            "refused_above",
            language,
            n=total.refused_at_or_above,
            of=refused,
            share=share(total.refused_at_or_above, refused),
        ),
    )
    for line in lines:
        column.text(line, size=10.5, ink=INK)
        column.gap(3)
    column.text(word("caveat", language), size=9, ink=MUTED)


def _second_page(figures: Figures, language: Language, font: Path) -> Image.Image:
    column = _page(font)
    total = figures.total
    _heading(column, word("scores", language))
    sources = sorted(total.histograms, key=lambda mode: list(SOURCES).index(mode) if mode in SOURCES else 99)
    layers = [
        Layer(outcome_label(mode, language), SOURCE_COLOURS[min(index, 3)], total.histograms[mode])
        for index, mode in enumerate(sources)
    ]
    legend(column, layers)
    column.gap(4)
    labels = [
        f"{low}-{low + BIN_POINTS - 1 if low < (BINS - 1) * BIN_POINTS else 100}" for low in range(0, 100, 10)
    ]
    marker = None
    if len(figures.thresholds) == 1:
        (threshold,) = figures.thresholds
        marker = (threshold / BIN_POINTS, word("threshold_at", language, threshold=threshold))
    columns(column, labels, layers or [Layer("", AT_OR_ABOVE, [0] * BINS)], height=200, marker=marker)
    unit, spans = figures.spans(MOST_SPANS)
    _heading(column, word("table", language, unit=word(unit, language)))
    _table(column, spans, language)
    column.gap(12)
    column.text(word("privacy", language), size=9, ink=MUTED)
    if figures.damaged:
        column.text(word("damaged", language, n=figures.damaged), size=9, ink=PROBLEM)
    return column.image


def _table(column: TextColumn, spans: list[tuple[date, date, Counts]], language: Language) -> None:
    """One row per span: its counts, outcomes and decisions; the totals last."""
    heads = [word("span", language), *(word(key, language) for key in TABLE_HEADS)]
    font = column.font(8)
    height = column.line_height(font)
    first_width = round(110 * UNIT)
    width = (column.width - first_width) / (len(heads) - 1)

    def row(cells: list[str], *, ink: tuple[int, int, int] = INK) -> None:
        """One row, each cell right-aligned in its column and wrapped to it (the heads)."""
        lines = [wrap(cell, font, round(width) - 6) for cell in cells[1:]]
        tall = height * max(1, *map(len, lines))
        if not column.fits(tall):
            column.dropped += 1
            return
        column.draw.text((column.margin, column.y + tall - height), cells[0], font=font, fill=ink)
        for index, cell in enumerate(lines):
            right = column.margin + first_width + width * (index + 1) - 4
            for number, text in enumerate(cell):
                y = column.y + tall - height * (len(cell) - number)
                column.draw.text((right - text_width(font, text), y), text, font=font, fill=ink)
        column.y += tall

    row(heads, ink=MUTED)
    totals = Counts()
    for first, last, counts in spans:
        name = day_label(first, language) + ("" if first == last else f" – {last.month}/{last.day}")
        row([name, *_cells(counts)])
        totals.add(counts)
    column.draw.line((column.margin, column.y, column.margin + column.width, column.y), fill=MUTED)
    column.y += 2
    row([word("total", language), *_cells(totals)])


def _cells(counts: Counts) -> list[str]:
    values = [
        counts.transactions,
        counts.at_or_above,
        counts.below,
        faults(counts),
        counts.outcomes["cancelled"],
        *(counts.decided(kind) for kind in DECISIONS),
        counts.undecided(),
        counts.issued_below,
        counts.refused_at_or_above,
    ]
    return [str(value) for value in values]


def save(pages: list[Image.Image], out: Path) -> None:
    """``pages`` as a multi-page PDF, or as one PNG with the pages one under another."""
    if out.suffix.lower() == ".pdf":
        pages[0].save(out, "PDF", resolution=150.0, save_all=True, append_images=pages[1:])
        return
    sheet = Image.new("RGB", (PAGE[0], PAGE[1] * len(pages)), (255, 255, 255))
    for index, page in enumerate(pages):
        sheet.paste(page, (0, PAGE[1] * index))
    sheet.save(out, "PNG", optimize=True)
