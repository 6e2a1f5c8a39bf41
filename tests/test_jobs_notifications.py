"""Each person's notifications in the application, and the administrators' view of the reminders."""

import datetime

from django.urls import reverse

from measures.models import PolicyDocument
from nominations.deadlines import default_deadline_for
from nominations.models import BEIJING, Cycle, ReminderKind
from nominations.reminders import reminders_sweep
from organisation.models import Notification, OutboxMessage
from organisation.outbox import outbox_deliver as reminder_deliver


def notify(user, count, **fields):
    return [Notification.objects.create(user=user, kind=ReminderKind.DEADLINE, title=f"提醒{i}", body="正文",
                                        url="http://127.0.0.1:8000/nominations/", **fields) for i in range(count)]


def test_a_person_sees_only_their_own_notifications(client, clerk_water, clerk_forestry):
    mine = notify(clerk_water, 2)
    theirs = notify(clerk_forestry, 1)
    client.force_login(clerk_water)

    response = client.get(reverse("notifications"))

    assert response.status_code == 200
    assert [n.pk for n in response.context["notifications"]] == [n.pk for n in reversed(mine)]
    assert f"notification-{theirs[0].pk}" not in response.content.decode()
    assert response.context["unread"] == 2


def test_the_page_needs_a_login(client):
    response = client.get(reverse("notifications"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_marking_one_or_all_read(client, clerk_water, clerk_forestry):
    first, second = notify(clerk_water, 2)
    other = notify(clerk_forestry, 1)[0]
    client.force_login(clerk_water)

    client.post(reverse("notifications_read"), {"notification": first.pk})
    client.post(reverse("notifications_read"), {"notification": other.pk})  # someone else's: nothing happens
    first.refresh_from_db(), second.refresh_from_db(), other.refresh_from_db()
    assert first.is_read and not second.is_read and not other.is_read

    response = client.post(reverse("notifications_read"))
    second.refresh_from_db()
    assert response.status_code == 302 and second.is_read


def test_the_page_runs_a_fixed_number_of_queries(client, clerk_water, django_assert_max_num_queries):
    client.force_login(clerk_water)
    notify(clerk_water, 1)
    with django_assert_max_num_queries(7):
        assert client.get(reverse("notifications")).status_code == 200
    notify(clerk_water, 30)
    with django_assert_max_num_queries(7):
        assert client.get(reverse("notifications")).status_code == 200


def test_the_nav_links_the_page(client, clerk_water):
    client.force_login(clerk_water)
    assert f'href="{reverse("notifications")}"' in client.get(reverse("notifications")).content.decode()


def test_a_reminder_appears_in_the_application(client, clerk_forestry):
    Cycle.objects.create(year=2025, document=PolicyDocument.objects.get(in_force=True),
                         opens_at=datetime.datetime(2026, 1, 5, tzinfo=BEIJING), deadline=default_deadline_for(2025))
    for delivery_id in reminders_sweep(at=datetime.datetime(2026, 3, 30, 9, 0, tzinfo=BEIJING)).due_ids:
        reminder_deliver(message_id=delivery_id)
    client.force_login(clerk_forestry)

    page = client.get(reverse("notifications")).content.decode()

    delivery = OutboxMessage.objects.get(recipient=clerk_forestry)
    assert delivery.subject in page and delivery.notification.user == clerk_forestry


def test_administrators_see_failed_messages_and_send_them_again(client, administrator, clerk_forestry,
                                                                django_capture_on_commit_callbacks):
    Cycle.objects.create(year=2025, document=PolicyDocument.objects.get(in_force=True),
                         opens_at=datetime.datetime(2026, 1, 5, tzinfo=BEIJING), deadline=default_deadline_for(2025))
    reminders_sweep(at=datetime.datetime(2026, 3, 30, 9, 0, tzinfo=BEIJING))
    delivery = OutboxMessage.objects.get(recipient=clerk_forestry)
    OutboxMessage.objects.filter(pk=delivery.pk).update(status="failed", attempts=5, last_error="SMTPServerDisconnected")
    client.force_login(administrator)

    listing = client.get(reverse("admin:organisation_outboxmessage_changelist"), {"status__exact": "failed"})
    assert listing.status_code == 200 and clerk_forestry.email in listing.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:organisation_outboxmessage_changelist"),
                    {"action": "send_again", "_selected_action": [delivery.pk]})
    delivery.refresh_from_db()
    assert delivery.status == "sent"  # queued again and, without a broker, sent at once


def test_the_admin_edits_settings_and_wording(client, administrator):
    client.force_login(administrator)
    response = client.post(reverse("admin:nominations_remindersettings_add"),
                           {"offsets": "21，7, 1", "send_from_hour": 9, "overdue_notice": "on", "max_attempts": 4,
                            "warning_working_days": 5, "escalation_days": 1})
    assert response.status_code == 302
    from nominations.models import ReminderSettings

    assert ReminderSettings.current().offset_list == [21, 7, 1]
    bad = client.post(reverse("admin:nominations_remindersettings_change", args=[ReminderSettings.current().pk]),
                      {"offsets": "7, soon", "send_from_hour": 9, "max_attempts": 4})
    assert bad.status_code == 200 and ReminderSettings.current().offset_list == [21, 7, 1]

    form = client.get(reverse("admin:nominations_remindertemplate_add") + "?kind=overdue").content.decode()
    assert "逾期" in form
    broken = client.post(reverse("admin:nominations_remindertemplate_add"),
                         {"kind": "overdue", "subject": "{% if %}", "body": "x", "is_active": "on"})
    assert broken.status_code == 200 and not broken.context["adminform"].form.is_valid()
