"""The pages of what the measures award run a number of queries that does not grow with their rows: the register,
the funds ledger, the implementation rules (the General Office's and the bureau's), each at two sizes."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from measures.models import Measure
from nominations import services as nomination_services
from nominations.models import BEIJING
from organisation import roles
from organisation.models import Unit, UnitKind
from reviews import services

from .factories import make_cycle, make_user

pytestmark = pytest.mark.django_db

DISTRICTS = ["越秀区", "海珠区", "荔湾区", "天河区", "白云区", "黄埔区"]


@pytest.fixture
def cycle(db):
    return make_cycle(2023)


@pytest.fixture
def finance_clerk(bureau):
    return make_user("caizheng", role=roles.BUREAU_STAFF, bureaus=[bureau("市财政局")])


def register_entries(reviewer, cycle, count, start=0):
    for index in range(start, start + count):
        unit = Unit.objects.get(kind_id=UnitKind.DISTRICT, name=DISTRICTS[index % len(DISTRICTS)])
        entry = services.higher_award_record(actor=reviewer, cycle=cycle, document_number=f"国办发〔2022〕{index + 1}号",
                                             higher_measure=f"第{index + 1}项激励", unit=unit, awarded_on="2022-05-06")
        services.higher_award_confirm(actor=reviewer, entry=entry)


def measured(client, url, django_assert_num_queries, bound):
    client.get(url)  # warm the content-type and session caches
    with django_assert_num_queries(bound):
        response = client.get(url)
    assert response.status_code == 200
    return response


# With the header's unread count, and the door's one read of the programmes the person reviews (the register's
# confirm buttons) or keeps the ledger of (the ledger's programme).
@pytest.mark.parametrize("page, who, bound", [("register", "reviewer", 8), ("funds", "finance", 11),
                                              ("funds", "reviewer", 10)])
def test_register_and_ledger_run_the_same_queries_at_two_sizes(client, reviewer, finance_clerk, cycle, page, who, bound,
                                                               django_assert_num_queries):
    client.force_login(reviewer if who == "reviewer" else finance_clerk)
    url = reverse("reviews:register", args=[2023]) if page == "register" else reverse("reviews:funds")
    register_entries(reviewer, cycle, 1)
    small = measured(client, url, django_assert_num_queries, bound)
    register_entries(reviewer, cycle, 8, start=1)
    large = measured(client, url, django_assert_num_queries, bound)
    marker = "data-entry=" if page == "register" else "data-award="
    assert small.content.decode().count(marker) == 1 and large.content.decode().count(marker) == 9


def file_rules(clerk, bureau, numbers):
    for number in numbers:
        nomination_services.rules_file(
            actor=clerk, measure=Measure.objects.get(number=number, document__in_force=True), bureau=bureau,
            title=f"第{number}条实施办法", upload=SimpleUploadedFile("r.pdf", b"%PDF-1.4\n%%EOF\n"),
            now=datetime.datetime(2023, 1, 20, tzinfo=BEIJING))


def test_the_rules_pages_run_the_same_queries_at_two_sizes(client, reviewer, clerk_water, bureau, settings, tmp_path,
                                                           django_assert_num_queries):
    settings.MEDIA_ROOT = tmp_path
    water = bureau("市水务局")
    six = Measure.objects.get(number=6, document__in_force=True)
    file_rules(clerk_water, water, [6])
    client.force_login(reviewer)
    # the door: who reviews what; the criteria waiting for review (one query)
    small = measured(client, reverse("reviews:rules"), django_assert_num_queries, 9)
    client.force_login(clerk_water)
    measured(client, reverse("nominations:rules", args=[six.pk]), django_assert_num_queries, 9)
    for filing in water.rules.all():
        services.rules_return(actor=reviewer, rules=filing, reason="请补充")
    file_rules(clerk_water, water, [6, 19, 31])
    client.force_login(reviewer)
    large = measured(client, reverse("reviews:rules"), django_assert_num_queries, 9)
    assert small.content.decode().count('data-state="submitted"') == 1
    assert large.content.decode().count('data-state="submitted"') == 3
    client.force_login(clerk_water)
    bureau_page = measured(client, reverse("nominations:rules", args=[six.pk]), django_assert_num_queries, 9)
    assert bureau_page.content.decode().count("data-state=") == 2
