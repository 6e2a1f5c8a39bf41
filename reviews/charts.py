"""Server-rendered charts: the geometry of horizontal stacked bar charts, drawn as inline SVG by
``templates/reviews/_bar_chart.html``. No JavaScript, no CDN; every chart is followed by its data table."""

from dataclasses import dataclass

# Distinguishable for common colour-vision deficiencies (Okabe–Ito), dark enough for white text.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

LABEL_WIDTH = 150
BAR_AREA = 420
ROW_HEIGHT = 24
BAR_HEIGHT = 16
TOP = 8


@dataclass
class Segment:
    x: float
    width: float
    value: int
    series: str
    colour: str


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
    legend: list[tuple[str, str]]


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
                segments.append(Segment(x=round(x, 1), width=round(width, 1), value=value, series=series[position],
                                        colour=colours[position % len(colours)]))
                x += width
        bars.append(Bar(label=label, y=y, text_y=y + BAR_HEIGHT - 3, segments=segments, total=sum(values),
                        total_x=round(x + 4, 1)))
    legend = [(name, colours[position % len(colours)]) for position, name in enumerate(series)]
    return Chart(title=title, width=LABEL_WIDTH + BAR_AREA + 40, height=TOP * 2 + max(len(rows), 1) * ROW_HEIGHT,
                 label_width=LABEL_WIDTH - 6, bars=bars, legend=legend)
