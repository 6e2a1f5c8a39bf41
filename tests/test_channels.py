"""Messages where people work (organisation/channels.py): a person chooses WeCom or DingTalk in their profile, and
the outbox hands their messages to the programme's app through its documented API (a local fake that speaks it);
e-mail stays everyone else's channel. The worker killed mid-send is tests/test_ops_outbox_wecom.py."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from incentives.errors import DomainError
from organisation import services
from organisation.models import OutboxMessage, Programme, ProgrammeMessaging
from organisation.outbox import Letter, Outcome, outbox_deliver, outbox_record

from .fake_work_messaging import APP_KEY, CORP_ID, SECRET, FakeWorkMessaging

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setenv("WORK_MESSAGING_TEST_SECRET", SECRET)
    cache.clear()
    with FakeWorkMessaging() as server:
        ProgrammeMessaging.objects.create(
            programme=Programme.objects.default(), wecom_corp_id=CORP_ID, wecom_agent_id="1000002",
            wecom_secret_env="WORK_MESSAGING_TEST_SECRET", wecom_api_url=server.url, dingtalk_agent_id="2000003",
            dingtalk_app_key=APP_KEY, dingtalk_secret_env="WORK_MESSAGING_TEST_SECRET", dingtalk_api_url=server.url)
        yield server


def _letter(user, key):
    return Letter(key=key, kind="returned", recipient=user, subject="退回补正", body_text="请补充佐证材料。",
                  url="https://incentives.example.gov.cn/nominations/")


def test_a_person_chooses_dingtalk_and_the_messages_go_there_once(fake, client, clerk_water, clerk_ndrc):
    with pytest.raises(DomainError):  # an app needs the person's id in it
        services.messaging_profile_set(actor=clerk_water, channel="dingtalk")
    client.force_login(clerk_water)
    response = client.post(reverse("messaging_profile"), {"channel": "dingtalk", "dingtalk_user_id": "wangfang01"})
    assert response.status_code == 302

    [to_app, by_mail], _already = outbox_record([_letter(clerk_water, "t:1"), _letter(clerk_ndrc, "t:2")])
    assert (to_app.channel, to_app.channel_address, by_mail.channel) == ("dingtalk", "wangfang01", "email")
    assert outbox_deliver(message_id=to_app.pk) == Outcome.SENT
    assert outbox_deliver(message_id=to_app.pk) == Outcome.NOT_CLAIMED  # never twice
    [shown] = fake.shown
    assert shown["app"] == "dingtalk" and shown["to"] == "wangfang01" and "请补充佐证材料" in shown["text"]
    [sent] = fake.calls("/topapi/message/corpconversation/asyncsend_v2")
    assert sent["agent_id"] == 2000003 and sent["msg"]["msgtype"] == "text"
    assert OutboxMessage.objects.get(pk=to_app.pk).status == "sent"


def test_a_refusal_of_the_app_is_retried_and_wecom_asks_for_the_duplicate_check(fake, monkeypatch, clerk_water):
    services.messaging_profile_set(actor=clerk_water, channel="wecom", wecom_user_id="WangFang")
    [message], _already = outbox_record([_letter(clerk_water, "t:3")])
    monkeypatch.setenv("WORK_MESSAGING_TEST_SECRET", "wrong")
    assert outbox_deliver(message_id=message.pk) == Outcome.RETRY
    message.refresh_from_db()
    assert message.status == "pending" and "40001" in message.last_error

    monkeypatch.setenv("WORK_MESSAGING_TEST_SECRET", SECRET)
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
    assert outbox_deliver(message_id=message.pk) == Outcome.SENT
    [sent] = fake.calls("/cgi-bin/message/send")
    assert sent["touser"] == "WangFang" and sent["agentid"] == 1000002 and sent["enable_duplicate_check"] == 1
    assert f"编号 {message.pk}" in sent["text"]["content"]
