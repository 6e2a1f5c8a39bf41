"""Time the bulletin: a full one (every category of the 2022 catalogue with 3 awardees), rendered to PDF and OFD.

    .venv/bin/python bench/bulletin_bench.py [--runs 7] [--output /tmp/bulletin.pdf] [--ofd /tmp/bulletin.ofd]

Prints the median (and min/max) of the CJK render to PDF, of the render to PDF and OFD from one layout (what a
worker does for every version: reviews.bulletins.bulletin_files), beside the same PDF render with a plain Latin
font (DejaVu Serif, the Chinese characters replaced by Latin letters so that no CJK font is loaded at all), and
checks the budget: the median of the PDF and OFD render must be under 1 second. The data come from the fixtures
(no database is needed); the HTML and the files are made by the same functions as the application's.
"""

import argparse
import datetime
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incentives.settings")

import django  # noqa: E402

django.setup()

from reviews.bulletins import (  # noqa: E402
    BulletinContext,
    BulletinRow,
    build_sections,
    bulletin_files,
    bulletin_html,
    bulletin_pdf,
    bulletin_title,
    chinese_date,
)

BUDGET_SECONDS = 1.0
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef\u2014\u201c\u201d]")
LATIN_CSS = """
html, h1, h2, h3, .mark, .closing { font-family: "DejaVu Serif" !important; }
@page :right { @bottom-right { font-family: "DejaVu Serif"; } }
@page :left { @bottom-left { font-family: "DejaVu Serif"; } }
"""


def full_context() -> BulletinContext:
    """Every category of the in-force catalogue with 3 awardees of its kinds (districts where too few)."""
    catalogue = json.loads((ROOT / "fixtures" / "catalogue_2022.json").read_text())
    organisation = json.loads((ROOT / "fixtures" / "organisation.json").read_text())
    documents = {o["pk"]: o["fields"] for o in catalogue if o["model"] == "measures.policydocument"}
    in_force = next(pk for pk, fields in documents.items() if fields["in_force"])
    measures = {o["pk"]: o["fields"] for o in catalogue if o["model"] == "measures.measure" and o["fields"]["document"] == in_force}
    units = sorted((o["fields"] for o in organisation if o["model"] == "organisation.unit"), key=lambda u: (u["division_order"], u["name"]))
    districts = [u for u in units if u["kind"] == "district" and u["is_active"]]
    rows = []
    categories = [o for o in catalogue if o["model"] == "measures.incentivecategory" and o["fields"]["measure"] in measures]
    categories.sort(key=lambda o: (measures[o["fields"]["measure"]]["number"], o["fields"]["order"]))
    for category in categories:
        fields = category["fields"]
        measure = measures[fields["measure"]]
        of_kind = [u for u in units if u["kind"] in fields["subject_kinds"]]
        chosen = (of_kind + [d for d in districts if d not in of_kind])[:3]
        for unit in sorted(chosen, key=lambda u: (u["division_order"], u["name"])):
            rows.append(BulletinRow(measure_number=measure["number"], measure_title=measure["title"],
                                    support=measure["support_forms"], category_key=category["pk"],
                                    category_name=fields["name"], unit_name=unit["full_name"] or unit["name"],
                                    description=fields["description"]))
    document = documents[in_force]
    return BulletinContext(year=2025, number="穗府办〔2026〕13号", title=bulletin_title(2025), date=chinese_date(datetime.date(2026, 4, 20)),
                           policy_title=document["title"], policy_number=document["number"], sections=build_sections(rows),
                           awardee_count=len(rows))


def time_renders(html: str, runs: int) -> tuple[list[float], list[float], bytes]:
    """Wall-clock and CPU times of ``runs`` renders, after a warm-up (fontconfig's cache and the first font
    load are paid once per process, i.e. once per worker)."""
    bulletin_pdf(html)
    wall, cpu, pdf = [], [], b""
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        pdf = bulletin_pdf(html)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return wall, cpu, pdf


def time_files(context: BulletinContext, runs: int) -> tuple[list[float], list[float], bytes]:
    """Wall-clock and CPU times of ``runs`` renders to PDF and OFD from one layout, after a warm-up."""
    bulletin_files(context)
    wall, cpu, files = [], [], None
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        files = bulletin_files(context)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return wall, cpu, files.ofd


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--output", help="write the CJK PDF here")
    parser.add_argument("--ofd", help="write the OFD file here")
    args = parser.parse_args()

    context = full_context()
    html = bulletin_html(context)
    latin_html = CJK.sub("M", bulletin_html(context, extra_css=LATIN_CSS))
    load_before = os.getloadavg()[0]
    cjk_times, cjk_cpu, pdf = time_renders(html, args.runs)
    latin_times, latin_cpu, _ = time_renders(latin_html, args.runs)
    both_times, both_cpu, ofd = time_files(context, args.runs)
    if args.output:
        Path(args.output).write_bytes(pdf)
    if args.ofd:
        Path(args.ofd).write_bytes(ofd)
    from weasyprint import HTML

    pages = len(HTML(string=html, base_url=str(ROOT)).render().pages)
    median, latin_median, both_median = (statistics.median(cjk_times), statistics.median(latin_times),
                                         statistics.median(both_times))
    print(f"bulletin: {len(context.sections)} measures, {context.awardee_count} awardees, {pages} pages, {len(pdf):,} bytes; "
          f"{args.runs} runs after a warm-up on {os.cpu_count()} CPUs")
    print(f"  Chinese fonts (Noto Serif/Sans CJK SC, AR PL UKai): median {median:.3f} s  (min {min(cjk_times):.3f}, "
          f"max {max(cjk_times):.3f}; CPU median {statistics.median(cjk_cpu):.3f} s)")
    print(f"  plain Latin font (DejaVu Serif), same layout:       median {latin_median:.3f} s  (min {min(latin_times):.3f}, "
          f"max {max(latin_times):.3f}; CPU median {statistics.median(latin_cpu):.3f} s)")
    print(f"  PDF and OFD from one layout (what a worker does):    median {both_median:.3f} s  (min {min(both_times):.3f}, "
          f"max {max(both_times):.3f}; CPU median {statistics.median(both_cpu):.3f} s); OFD {len(ofd):,} bytes")
    print(f"  ratio {median / latin_median:.1f}×; load average {load_before:.1f} → {os.getloadavg()[0]:.1f} "
          f"(other processes slow the wall-clock figures down)")
    print(f"  budget {BUDGET_SECONDS:.1f} s (median of PDF and OFD, wall clock): "
          f"{'OK' if both_median < BUDGET_SECONDS else 'OVER BUDGET'}")
    return 0 if both_median < BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
