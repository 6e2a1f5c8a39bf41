"""The General Office's side of the cycle in the admin: opening a cycle, moving its dates, granting an extension.
Each goes through its service (so each leaves an audit record); dates are typed in Beijing time."""

import datetime

import pytest
from django.test import override_settings
from django.urls import reverse

from nominations import services
from nominations.models import BEIJING, Cycle, Extension
from nominations.selectors import list_history
from organisation.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def test_admin_opens_a_cycle_with_the_default_deadline(client, administrator):
    client.force_login(administrator)
    response = client.post(reverse("admin:nominations_cycle_add"), {
        "year": "2026", "document": "", "opens_at": "2027-01-04 09:00:00", "deadline": "",
        "extensions-TOTAL_FORMS": "0", "extensions-INITIAL_FORMS": "0"})
    assert response.status_code == 302, response.content.decode()[:2000]
    cycle = Cycle.objects.get(year=2026)
    assert cycle.deadline == datetime.datetime(2027, 3, 31, 23, 59, 59, tzinfo=BEIJING)
    assert cycle.opens_at == datetime.datetime(2027, 1, 4, 9, 0, tzinfo=BEIJING)
    assert AuditEntry.objects.filter(action="cycle.opened", target_id=cycle.pk, actor=administrator).exists()


@pytest.mark.parametrize("time_zone", ["UTC", "America/New_York"])
def test_dates_typed_in_the_admin_are_beijing_time_whatever_the_server_zone(client, administrator, time_zone):
    client.force_login(administrator)
    with override_settings(TIME_ZONE=time_zone):
        response = client.post(reverse("admin:nominations_cycle_add"), {
            "year": "2027", "opens_at": "2028-01-02 08:00:00", "deadline": "2028-04-15 23:59:59",
            "extensions-TOTAL_FORMS": "0", "extensions-INITIAL_FORMS": "0"})
        assert response.status_code == 302
        cycle = Cycle.objects.get(year=2027)
        assert cycle.deadline == datetime.datetime(2028, 4, 15, 23, 59, 59, tzinfo=BEIJING)
        page = client.get(reverse("admin:nominations_cycle_change", args=[cycle.pk])).content.decode()
        assert "2028-04-15 23:59:59" in page
        response = client.post(reverse("admin:nominations_cycle_change", args=[cycle.pk]), {
            "opens_at": "2028-01-02 08:00:00", "deadline": "2028-04-20 12:00:00",
            "extensions-TOTAL_FORMS": "0", "extensions-INITIAL_FORMS": "0"})
        assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.deadline == datetime.datetime(2028, 4, 20, 12, 0, tzinfo=BEIJING)
    assert AuditEntry.objects.filter(action="cycle.dates_changed", target_id=cycle.pk).count() == 1


def test_admin_grants_an_extension_seen_in_the_lists_history(client, administrator, clerk_water, bureau, category):
    cycle = services.cycle_open(actor=administrator, year=2025, opens_at=datetime.datetime(2026, 1, 5, tzinfo=BEIJING))
    # The list existed before the deadline passed.
    nl = cycle.lists.create(category=category("6"), bureau=bureau("市水务局"), created_by=clerk_water)
    client.force_login(administrator)
    link = reverse("admin:nominations_cycle_extension", args=[cycle.pk])
    assert link in client.get(reverse("admin:nominations_cycle_change", args=[cycle.pk])).content.decode()
    response = client.post(link, {"bureau": bureau("市水务局").pk, "new_deadline": "2026-04-10 18:00:00", "reason": ""})
    assert response.status_code == 200 and not Extension.objects.exists()
    response = client.post(link, {"bureau": bureau("市水务局").pk, "new_deadline": "2026-04-10 18:00:00",
                                  "reason": "汛期抢险"})
    assert response.status_code == 302
    extension = Extension.objects.get()
    assert extension.new_deadline == datetime.datetime(2026, 4, 10, 18, 0, tzinfo=BEIJING)
    assert extension.granted_by == administrator
    assert [e.action for e in list_history(nl)][0] == "extension.granted"


def test_a_bureau_clerk_cannot_reach_the_cycle_admin(client, clerk_water):
    client.force_login(clerk_water)
    assert client.get(reverse("admin:nominations_cycle_add")).status_code == 302
    assert not Cycle.objects.exists()


def test_the_general_office_fixes_the_bulletins_printing_date_on_the_cycles_page(client, administrator):
    from reviews.bulletins import cycle_printing_date

    client.force_login(administrator)
    client.post(reverse("admin:nominations_cycle_add"), {
        "year": "2027", "opens_at": "2028-01-02 08:00:00", "deadline": "2028-04-15 23:59:59",
        "extensions-TOTAL_FORMS": "0", "extensions-INITIAL_FORMS": "0"})
    cycle = Cycle.objects.get(year=2027)
    change = reverse("admin:nominations_cycle_change", args=[cycle.pk])
    assert 'name="bulletin_printed_on"' in client.get(change).content.decode()
    response = client.post(change, {"opens_at": "2028-01-02 08:00:00", "deadline": "2028-04-15 23:59:59",
                                    "bulletin_printed_on": "2028-05-06",
                                    "extensions-TOTAL_FORMS": "0", "extensions-INITIAL_FORMS": "0"})
    assert response.status_code == 302
    assert cycle_printing_date(cycle) == datetime.date(2028, 5, 6)
    assert AuditEntry.objects.filter(action="cycle.bulletin_printing_date_changed", target_id=cycle.pk).count() == 1
