"""Server-rendered charts: the geometry of horizontal stacked bar charts and their inline SVG, built here in one
join (a province's statistics draw thousands of segments: as template nodes they cost tens of thousands of
variable lookups and megabytes of markup). No JavaScript, no CDN; every chart is followed on its page by its data
table, the text equivalent that screen readers and keyboard users read (the SVG is one image with a label).

Each series is one ``<path>`` (a rectangle per bar in its ``d``) titled with the series' name, so the markup grows
by some twenty bytes per segment."""

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# Distinguishable for common colour-vision deficiencies (Okabe–Ito), dark enough for white text.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

LABEL_WIDTH = 150
BAR_AREA = 420
ROW_HEIGHT = 24
BAR_HEIGHT = 16
TOP = 8
TEXT_COLOUR = "#1d1d1f"


@dataclass
class Segment:
    x: float
    width: float
    value: int
    series: int  # its position in ``Chart.legend``


@dataclass
class Bar:
    label: str
    y: int
    text_y: int
    segments: list[Segment]
    total: int
    total_x: float


@dataclass
class Chart:
    title: str
    width: int
    height: int
    label_width: int
    bars: list[Bar]
    legend: list[tuple[str, str]]  # (series name, colour)

    def markup(self) -> SafeString:
        return chart_markup(self)


def stacked_bar_chart(*, title: str, rows: list[tuple[str, list[int]]], series: list[str],
                      colours: list[str] | None = None) -> Chart:
    """``rows`` are (label, one value per series). Bars are scaled to the largest total."""
    colours = colours or PALETTE
    largest = max((sum(values) for _label, values in rows), default=0) or 1
    scale = BAR_AREA / largest
    bars = []
    for index, (label, values) in enumerate(rows):
        y = TOP + index * ROW_HEIGHT
        x = float(LABEL_WIDTH)
        segments = []
        for position, value in enumerate(values):
            if value:
                width = value * scale
                segments.append(Segment(x=round(x, 1), width=round(width, 1), value=value, series=position))
                x += width
        bars.append(Bar(label=label, y=y, text_y=y + BAR_HEIGHT - 3, segments=segments, total=sum(values),
                        total_x=round(x + 4, 1)))
    legend = [(name, colours[position % len(colours)]) for position, name in enumerate(series)]
    return Chart(title=title, width=LABEL_WIDTH + BAR_AREA + 40, height=TOP * 2 + max(len(rows), 1) * ROW_HEIGHT,
                 label_width=LABEL_WIDTH - 6, bars=bars, legend=legend)


def _number(value: float) -> str:
    """150.0 → "150", 12.25 → "12.2": the shortest form of a coordinate rounded to a tenth."""
    return f"{round(value, 1):g}"


def chart_markup(chart: Chart) -> SafeString:
    """The chart as a ``<figure>``: its caption, the SVG (labels, one path per series, totals) and the legend."""
    title = escape(chart.title)
    parts = [f'<figure class="chart"><figcaption><strong>{title}</strong></figcaption>']
    if not chart.bars:
        empty = escape(_("No data yet."))  # outside the f-string, where makemessages finds it
        parts.append(f'<p class="muted">{empty}</p></figure>')
        return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
    parts.append(f'<svg xmlns="http://www.w3.org/2000/svg" width="{chart.width}" height="{chart.height}" '
                 f'viewBox="0 0 {chart.width} {chart.height}" role="img" aria-label="{title}" class="chart-svg">'
                 f'<title>{title}</title><g fill="{TEXT_COLOUR}"><g text-anchor="end">')
    parts.extend(f'<text x="{chart.label_width}" y="{bar.text_y}">{escape(bar.label)}</text>' for bar in chart.bars)
    parts.append("</g>")
    parts.extend(f'<text x="{_number(bar.total_x)}" y="{bar.text_y}">{bar.total}</text>' for bar in chart.bars)
    parts.append("</g>")
    paths: list[list[str]] = [[] for _series in chart.legend]
    for bar in chart.bars:
        for segment in bar.segments:
            paths[segment.series].append(f"M{_number(segment.x)} {bar.y}h{_number(segment.width)}v{BAR_HEIGHT}"
                                         f"H{_number(segment.x)}z")
    for (name, colour), rectangles in zip(chart.legend, paths, strict=True):
        if rectangles:
            parts.append(f'<path fill="{colour}" d="{"".join(rectangles)}"><title>{escape(name)}</title></path>')
    parts.append('</svg><ul class="legend">')
    parts.extend(f'<li><svg class="swatch" width="12" height="12" aria-hidden="true"><rect width="12" height="12" '
                 f'fill="{colour}"/></svg>{escape(name)}</li>' for name, colour in chart.legend)
    parts.append("</ul></figure>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
