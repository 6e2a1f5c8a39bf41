"""Entering the bulletin's document number: validated, unique, audited, frozen once the cycle is published; and
editable in the cycle's admin page until then."""

import datetime

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from incentives.errors import DomainError, PermissionDeniedError
from measures.models import PolicyDocument
from nominations.deadlines import default_deadline_for
from nominations.models import BEIJING, Cycle
from organisation.models import AuditEntry
from reviews import bulletins

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year + 3  # a performance year whose bulletin is published in YEAR + 1 at the earliest
ISSUED = YEAR + 1


def make_cycle(year, **fields):
    return Cycle.objects.create(year=year, document=PolicyDocument.objects.get(in_force=True),
                                opens_at=datetime.datetime(year + 1, 1, 5, tzinfo=BEIJING),
                                deadline=default_deadline_for(year), **fields)


@pytest.fixture
def cycle():
    return make_cycle(YEAR)


def test_a_reviewer_enters_the_number_and_it_is_audited(cycle, reviewer):
    bulletins.bulletin_number_set(actor=reviewer, cycle=cycle, number=f" 穗府办〔{ISSUED}〕13号 ")

    cycle.refresh_from_db()
    assert cycle.bulletin_number == f"穗府办〔{ISSUED}〕13号"
    entry = AuditEntry.objects.get(action="cycle.bulletin_number_changed", target_id=cycle.pk)
    assert entry.actor == reviewer and entry.data == {"before": "", "after": f"穗府办〔{ISSUED}〕13号"}
    assert bulletins.bulletin_context(cycle).number == f"穗府办〔{ISSUED}〕13号"


@pytest.mark.parametrize(("number", "words"), [
    (f"穗府办〔{YEAR}〕13号", f"year of publication, {ISSUED}"),
    (f"穗府办〔{ISSUED}〕013号", "without leading zeros"),
    (f"穗府办[{ISSUED}]13号", "brackets 〔〕"),
    (f"府办〔{ISSUED}〕13号", "issuer's code is 穗府办"),
])
def test_a_malformed_number_is_refused_and_nothing_changes(cycle, reviewer, number, words):
    with pytest.raises(DomainError, match=words.replace("[", r"\[")) as refused:
        bulletins.bulletin_number_set(actor=reviewer, cycle=cycle, number=number)
    assert refused.value.field == "bulletin_number"
    cycle.refresh_from_db()
    assert cycle.bulletin_number == "" and not AuditEntry.objects.filter(action="cycle.bulletin_number_changed").exists()


def test_a_number_already_used_by_another_cycle_is_refused(cycle, reviewer):
    make_cycle(YEAR - 1, bulletin_number=f"穗府办〔{ISSUED}〕13号")
    with pytest.raises(DomainError, match=f"already the number of the {YEAR - 1} cycle"):
        bulletins.bulletin_number_set(actor=reviewer, cycle=cycle, number=f"穗府办〔{ISSUED}〕13号")
    # The database holds it too; empty numbers do not collide.
    make_cycle(YEAR - 2)
    with pytest.raises(IntegrityError):
        Cycle.objects.filter(pk=cycle.pk).update(bulletin_number=f"穗府办〔{ISSUED}〕13号")


def test_a_published_cycle_keeps_its_number(cycle, reviewer):
    cycle.state, cycle.published_at = Cycle.State.PUBLISHED, datetime.datetime(ISSUED, 4, 20, tzinfo=BEIJING)
    cycle.save()
    with pytest.raises(DomainError, match="is published"):
        bulletins.bulletin_number_set(actor=reviewer, cycle=cycle, number=f"穗府办〔{ISSUED}〕13号")


def test_a_clerk_cannot_set_the_number(cycle, clerk_water):
    with pytest.raises(PermissionDeniedError):
        bulletins.bulletin_number_set(actor=clerk_water, cycle=cycle, number=f"穗府办〔{ISSUED}〕13号")


def _change_form(cycle, number):
    return {"opens_at": cycle.opens_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            "deadline": cycle.deadline.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            "bulletin_number": number, "extensions-TOTAL_FORMS": "0", "extensions-INITIAL_FORMS": "0"}


def test_the_admin_edits_the_number_of_an_unpublished_cycle(client, administrator, cycle):
    client.force_login(administrator)
    url = reverse("admin:nominations_cycle_change", args=[cycle.pk])
    assert 'name="bulletin_number"' in client.get(url).content.decode()

    refused = client.post(url, _change_form(cycle, f"穗府办〔{ISSUED}〕07号"))
    assert refused.status_code == 200 and "序号不编虚位" in refused.content.decode()  # the page speaks Chinese
    cycle.refresh_from_db()
    assert cycle.bulletin_number == ""

    response = client.post(url, _change_form(cycle, f"穗府办〔{ISSUED}〕7号"))
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.bulletin_number == f"穗府办〔{ISSUED}〕7号"
    assert AuditEntry.objects.filter(action="cycle.bulletin_number_changed", actor=administrator).count() == 1


def test_the_admin_shows_a_published_cycles_number_read_only(client, administrator, cycle):
    cycle.state, cycle.published_at = Cycle.State.PUBLISHED, datetime.datetime(ISSUED, 4, 20, tzinfo=BEIJING)
    cycle.bulletin_number = f"穗府办〔{ISSUED}〕13号"
    cycle.save()
    client.force_login(administrator)
    page = client.get(reverse("admin:nominations_cycle_change", args=[cycle.pk])).content.decode()
    assert f"穗府办〔{ISSUED}〕13号" in page and 'name="bulletin_number"' not in page
