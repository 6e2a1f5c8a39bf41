"""A returned list reaches the bureau's clerk in 企业微信 exactly once, though the worker sending it is killed in the
middle of the send and another one takes over: real workers on PostgreSQL and Redis (db 4, tests/outbox_fixtures.py),
a local server speaking WeCom's API (tests/fake_work_messaging.py) that holds its first ``gettoken`` answer, so the
first worker dies with the message claimed and half sent."""

import datetime
import time

import pytest
from django.urls import reverse

from measures.models import PolicyDocument
from nominations.models import Cycle, NominationList, Nominee
from organisation import services
from organisation.models import OutboxMessage, Programme, ProgrammeMessaging

from .factories import PHASES_AFTER as AFTER
from .fake_work_messaging import CORP_ID, SECRET, FakeWorkMessaging
from .outbox_fixtures import wait_for

pytestmark = [pytest.mark.xdist_group("redis-4"), pytest.mark.real_workers]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_return_reaches_wecom_once_after_the_worker_is_killed_mid_send(
        workers, client, reviewer, clerk_water, category, bureau, districts, broker_down):
    with FakeWorkMessaging(hold_first_token=True) as wecom:
        ProgrammeMessaging.objects.create(programme=Programme.objects.default(), wecom_corp_id=CORP_ID,
                                          wecom_agent_id="1000002", wecom_secret_env="WECOM_TEST_SECRET",
                                          wecom_api_url=wecom.url)
        workers.env["WECOM_TEST_SECRET"] = SECRET
        services.messaging_profile_set(actor=clerk_water, channel="wecom", wecom_user_id="WangFang")
        cycle = Cycle.objects.create(year=2024, document=PolicyDocument.objects.get(in_force=True),
                                     opens_at=datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC),
                                     deadline=datetime.datetime(2025, 3, 31, 15, 59, 59, tzinfo=datetime.UTC))
        nl = NominationList.objects.create(cycle=cycle, category=category("6"), bureau=bureau("市水务局"),
                                           state=NominationList.State.SUBMITTED, created_by=clerk_water,
                                           submitted_at=AFTER - datetime.timedelta(days=20))
        Nominee.objects.create(nomination_list=nl, unit=districts[0], rank=1, achievements="成效明显")
        client.force_login(reviewer)
        response = client.post(reverse("reviews:list_return", args=[nl.pk]), {"reason": "附件不全，请补充。"})
        assert response.status_code == 302
        message = OutboxMessage.objects.get(kind="returned", recipient=clerk_water)
        assert (message.channel, message.channel_address, message.status) == ("wecom", "WangFang", "pending")

        # The first worker claims it and asks WeCom for a token, which does not answer: it is killed there.
        first = workers.start()
        wait_for(lambda: wecom.calls("/cgi-bin/gettoken"), "the worker to ask WeCom for a token", tick=workers.beat)
        assert OutboxMessage.objects.get(pk=message.pk).status == "sending"
        workers.kill(first)
        killed_at = time.monotonic()
        wecom.release.set()

        # Another worker takes it up once the claim is stale, and sends it once.
        workers.start()
        wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).status == "sent", "the return to be sent",
                 tick=workers.beat)
        assert time.monotonic() - killed_at < 45
        [sent] = wecom.calls("/cgi-bin/message/send")
        assert sent["touser"] == "WangFang" and "附件不全" in sent["text"]["content"]
        assert [shown["to"] for shown in wecom.shown] == ["WangFang"]
        assert OutboxMessage.objects.get(pk=message.pk).attempts == 2
