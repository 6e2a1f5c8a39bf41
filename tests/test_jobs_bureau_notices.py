"""Bureaus are told of comments, decisions and the publication, in the application and by e-mail (the outbox);
the header shows the unread count."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from nominations import services as nomination_services
from organisation.models import Notification, OutboxMessage
from reviews import services

from .factories import PAGES_LIST, make_cycle, make_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(db):
    return make_cycle(year=timezone.now().year)


def test_a_comment_is_told_to_the_other_responsible_bureaus(cycle, category, bureau, districts, clerk_water,
                                                            clerk_ndrc, django_capture_on_commit_callbacks):
    nl = make_list(cycle, category("6"), bureau("市水务局"), districts[:1], state="draft", **PAGES_LIST)
    with django_capture_on_commit_callbacks(execute=True):
        nomination_services.list_comment_add(actor=clerk_ndrc, nomination_list=nl, text="建议补充投资完成率")
    message = OutboxMessage.objects.get(recipient=clerk_water, kind="commented")
    assert "建议补充投资完成率" in message.body_text and "（6）" in message.subject
    assert not OutboxMessage.objects.filter(recipient=clerk_ndrc).exists()  # not the author
    assert [m.to for m in mail.outbox] == [[clerk_water.email]]


def test_the_bureau_is_told_the_decisions_once_the_list_is_decided(cycle, category, bureau, districts, reviewer,
                                                                   clerk_water, django_capture_on_commit_callbacks):
    nl = make_list(cycle, category("19-1"), bureau("市水务局"), districts[:2], **PAGES_LIST)
    a, b = nl.nominees.order_by("rank")
    with django_capture_on_commit_callbacks(execute=True):
        services.nominees_decide(actor=reviewer, nomination_list=nl,
                                 decisions=[(a, True, ""), (b, False, "材料不足")])
    message = OutboxMessage.objects.get(recipient=clerk_water, kind="decided")
    assert f"1．{a.unit}：同意激励" in message.body_text and f"2．{b.unit}：不予激励（材料不足）" in message.body_text
    assert Notification.objects.filter(user=clerk_water, kind="decided").count() == 1


def test_the_unread_count_in_the_header_goes_up_and_down(client, cycle, category, bureau, districts, clerk_water,
                                                         clerk_ndrc):
    nl = make_list(cycle, category("6"), bureau("市水务局"), districts[:1], state="draft", **PAGES_LIST)
    client.force_login(clerk_water)
    assert "data-unread-count" not in client.get(reverse("measures:list")).content.decode()
    nomination_services.list_comment_add(actor=clerk_ndrc, nomination_list=nl, text="意见一")
    nomination_services.list_comment_add(actor=clerk_ndrc, nomination_list=nl, text="意见二")
    assert 'data-unread-count="2">2<' in client.get(reverse("measures:list")).content.decode()
    first = Notification.objects.filter(user=clerk_water).first()
    client.post(reverse("notifications_read"), {"notification": first.pk})
    assert 'data-unread-count="1">1<' in client.get(reverse("measures:list")).content.decode()
    client.post(reverse("notifications_read"), {})
    assert "data-unread-count" not in client.get(reverse("measures:list")).content.decode()
