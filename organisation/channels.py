"""Messages where people work: 企业微信 (WeCom, and 粤政易 built on it) and 钉钉 (DingTalk, and 浙政钉) work
notifications beside e-mail, through their documented HTTP APIs. The outbox (``organisation.outbox``) records,
claims, retries and never sends twice; this module only says which channel a message goes by and hands it over.

* **WeCom**: ``GET /cgi-bin/gettoken?corpid=…&corpsecret=…`` → ``access_token`` (valid ``expires_in`` seconds), then
  ``POST /cgi-bin/message/send?access_token=…`` with ``{"touser", "msgtype": "text", "agentid", "text":
  {"content"}, "enable_duplicate_check": 1, "duplicate_check_interval": 1800}``; ``errcode`` 0 is success.
* **DingTalk**: ``GET /gettoken?appkey=…&appsecret=…`` → ``access_token``, then ``POST
  /topapi/message/corpconversation/asyncsend_v2?access_token=…`` with ``{"agent_id", "userid_list", "msg":
  {"msgtype": "text", "text": {"content"}}}``; ``errcode`` 0 is success (``task_id`` names the sending).

Which channel: the recipient's choice (``MessagingProfile``) when their programme offers that app
(``ProgrammeMessaging``) and they gave their id in it; e-mail otherwise. The programme is the one of the person's
first bureau, else the first they review, else the default one.

Never twice: the claim of the outbox holds as for e-mail; the message's text ends with its outbox number, and WeCom
is asked to drop a repeat of the same text within 30 minutes (``enable_duplicate_check``), which closes the one
window the outbox leaves (a process killed between the app's acceptance and the "sent" UPDATE).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.cache import cache

from .models import Channel, Membership, MessagingProfile, OutboxMessage, Programme, ProgrammeMessaging

TOKEN_MARGIN = 300  # seconds before the token's expiry it is asked for again


class ChannelError(Exception):
    """The messaging app refused or did not answer: the outbox retries."""


def programme_of(user) -> Programme | None:
    """The programme whose messaging app reaches the person."""
    bureau = Membership.objects.filter(user_id=user.pk).select_related("bureau").order_by("pk").first()
    if bureau is not None:
        return Programme.objects.filter(pk=bureau.bureau.programme_id).first()
    return user.reviewed_programmes.order_by("pk").first() or Programme.objects.default()


def channels_for(users) -> dict[int, tuple[str, str, Programme | None]]:
    """user id → (channel, id in the app, programme) for the people among ``users`` whose messages go by a
    messaging app now (their choice, offered by their programme, with their id given); everyone else is absent
    (e-mail). One query when nobody chose an app."""
    ids = {user.pk for user in users if user is not None}
    chosen = {}
    if not ids:
        return chosen
    for profile in MessagingProfile.objects.filter(user_id__in=ids).exclude(channel=Channel.EMAIL).select_related("user"):
        if not profile.address(profile.channel):
            continue
        programme = programme_of(profile.user)
        apps = ProgrammeMessaging.objects.filter(programme=programme).first() if programme else None
        if apps is not None and apps.offers(profile.channel):
            chosen[profile.user_id] = (profile.channel, profile.address(profile.channel), programme)
    return chosen


def text_of(message: OutboxMessage) -> str:
    """The notification's text: subject, body, link, and the outbox number (so two messages never read alike)."""
    parts = [message.subject, message.body_text.strip()]
    if message.url and message.url not in message.body_text:
        parts.append(message.url)
    parts.append(f"（编号 {message.pk}）")
    return "\n".join(part for part in parts if part)


def _call(url: str, payload: dict | None = None) -> dict:
    data = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=settings.EMAIL_TIMEOUT or 10) as response:  # noqa: S310
            answer = json.loads(response.read().decode())
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
        raise ChannelError(f"{url.split('?', 1)[0]}: {error}") from None
    if answer.get("errcode", 0) != 0:
        raise ChannelError(f"{url.split('?', 1)[0]}: errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")
    return answer


def _secret(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ChannelError(f"the environment variable {name} (the app's secret) is empty")
    return value


def _token(apps: ProgrammeMessaging, channel: str) -> str:
    key = f"channel-token:{channel}:{apps.programme_id}"
    token = cache.get(key)
    if token:
        return token
    if channel == Channel.WECOM:
        query = urllib.parse.urlencode({"corpid": apps.wecom_corp_id, "corpsecret": _secret(apps.wecom_secret_env)})
        answer = _call(f"{apps.wecom_api_url.rstrip('/')}/cgi-bin/gettoken?{query}")
    else:
        query = urllib.parse.urlencode({"appkey": apps.dingtalk_app_key,
                                        "appsecret": _secret(apps.dingtalk_secret_env)})
        answer = _call(f"{apps.dingtalk_api_url.rstrip('/')}/gettoken?{query}")
    token = answer.get("access_token", "")
    if not token:
        raise ChannelError("the app gave no access_token")
    cache.set(key, token, max(int(answer.get("expires_in", 7200)) - TOKEN_MARGIN, 60))
    return token


def channel_send(message: OutboxMessage) -> None:
    """Hand one claimed message to its messaging app; ``ChannelError`` when it is not accepted."""
    apps = ProgrammeMessaging.objects.filter(programme_id=message.channel_programme_id).first()
    if apps is None or not apps.offers(message.channel):
        raise ChannelError(f"the programme no longer offers {message.channel}")
    token = urllib.parse.quote(_token(apps, message.channel))
    content = text_of(message)
    if message.channel == Channel.WECOM:
        _call(f"{apps.wecom_api_url.rstrip('/')}/cgi-bin/message/send?access_token={token}", {
            "touser": message.channel_address, "msgtype": "text", "agentid": int(apps.wecom_agent_id),
            "text": {"content": content}, "safe": 0,
            "enable_duplicate_check": 1, "duplicate_check_interval": 1800})
    else:
        _call(f"{apps.dingtalk_api_url.rstrip('/')}/topapi/message/corpconversation/asyncsend_v2"
              f"?access_token={token}", {
                  "agent_id": int(apps.dingtalk_agent_id), "userid_list": message.channel_address,
                  "msg": {"msgtype": "text", "text": {"content": content}}})
