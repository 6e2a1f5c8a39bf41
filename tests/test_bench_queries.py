"""The main pages run a number of queries that does not grow with the data.

Each page is requested at two sizes of generated data (bench/generate.py: cycles, categories, bureaus, units,
lists, decisions, audit records all grow) under the same ``django_assert_num_queries`` bound. The pages and
the objects they show are the benchmark's own (bench/pages.py), so what is pinned here is what is timed there.
"""

from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from bench.generate import Sizes, generate
from bench.pages import CLERK, PAGES, PUBLIC, REVIEWER, page_arguments
from nominations.models import Cycle, NominationList
from organisation.models import AuditEntry
from reviews.models import Award

SMALL = Sizes(cycles=1, categories=45, bureaus=32, units=90, users=30, audit=200)
LARGE = Sizes(cycles=3, categories=60, bureaus=40, units=180, users=70, audit=600)

# The bound of each page, the same at both sizes. A signed-in person's pages count their unread notifications
# (the header's figure): one query. The clerk's home also lists the years and the latest comments: two more.
QUERIES = {
    "clerk_home": 14,  # the phase of the year, the unread count, the years' links and the latest comments, the open years (each with its deadline light: the programme's reminder settings)
    "list_editor": 16,  # the category's rights in one query; no units (the chooser asks for them as the clerk types); the year's criteria (the ranking the list follows)
    "review_queue": 19,  # what waits for the reviewer (one query counting its five kinds, one reading the first submitted lists: the other kinds have none here; one for the screening flags when no awarded unit has an event, the lights' settings: 4); unfiltered, the rows are counted by the figures of the states; the years offered (pk and year only), the cycle shown, the awards and limits of the page's rows only; the door reads the programmes reviewed once; the bureaus and measures are not listed (choosers)
    "list_review": 15,  # with the phase, the requests for an exception to the cap, the door (who reviews what), the year's criteria (none here: with criteria the ranking costs four more, tests/test_evaluation_lists.py) and the reviewer's declared stakes (回避)
    "unit_history": 3,  # the unit, its years with their award counts, the awards of the page's years
    "public_results": 7,  # the cycle, the version, the copy the publication stored (none here), the awards, the repeat winners, the bulletin spot (2)
    "statistics": 12,  # the copy the publication stored (none here: the timer warms it), the stored tallies: the years shown, the totals of every year (summed by the database); the rules filed on time (pairs, first filings, bureaus)
    "statistics_cold": 12,  # the same count: the timer clears the cache before every request
}
BY_KEY = {page.key: page for page in PAGES}


def test_every_main_page_of_the_benchmark_is_pinned():
    from tests.helpers import ADMIN_QUERIES as PINNED_THERE

    # The audit trail's page is pinned with the admin's changelists, in tests/test_admin_scale.py.
    assert set(QUERIES) == {page.key for page in PAGES if not page.reference} - set(PINNED_THERE)


def test_main_pages_run_the_same_queries_at_two_sizes(clerk_water, reviewer, django_assert_num_queries):
    clients = {PUBLIC: Client(), CLERK: Client(), REVIEWER: Client()}
    clients[CLERK].force_login(clerk_water)
    clients[REVIEWER].force_login(reviewer)
    sizes_seen = []
    for label, sizes in (("small", SMALL), ("large", LARGE)):
        generate(sizes, seed=7)  # the second call adds to the first
        sizes_seen.append((Cycle.objects.count(), NominationList.objects.count(), Award.objects.count(),
                           AuditEntry.objects.count()))
        for key, bound in QUERIES.items():
            page = BY_KEY[key]
            client = clients[page.persona]
            url = reverse(page.url_name, args=page_arguments(page.args))
            assert client.get(url).status_code == 200, f"{key} at the {label} size"  # warm-up, as the timer does
            cache.clear()  # count the work itself, not a page body kept from the warm-up (statistics)
            with django_assert_num_queries(bound, info=f"{key} at the {label} size"):
                response = client.get(url)
            assert response.status_code == 200
    small, large = sizes_seen
    # Both sizes are what was asked for, and everything the pages show grew: cycles, lists, awards, audit.
    assert small[:2] == (2, 90) and small[3] == 200
    assert large[:2] == (4, 240) and large[3] == 600
    assert large[2] > small[2] > 0
