"""The HTML part of a mail shows a clerk's words as written: escaped, never turned into a link; the only link is
the system's own address, written out in full."""

from __future__ import annotations

import re

import pytest

from nominations.reminders import message_render

pytestmark = pytest.mark.django_db

CLERK_TEXT = '请看 http://evil.example/login 和 <a href="http://evil.example">点此办理</a> <b>加急</b>'
SYSTEM_URL = "https://incentives.example.gov.cn/nominations/2026/6/"


def _commented(text: str) -> tuple[str, str, str]:
    return message_render("commented", {
        "recipient": "王芳", "author_bureau": "市发展改革委", "author": "李强", "year": 2026,
        "measure": {"numeral": "六"}, "category": {"name": "推进重大项目建设", "code": "6"}, "text": text,
        "url": SYSTEM_URL})


def test_a_clerk_s_text_never_becomes_a_link_or_markup_in_the_html_part():
    _subject, plain, html = _commented(CLERK_TEXT)
    assert CLERK_TEXT in plain  # the plain text is the text as written
    assert "evil.example" in html  # shown …
    assert 'href="http://evil.example' not in html  # … never as a link
    assert "<b>" not in html and "&lt;a href=&quot;http://evil.example&quot;&gt;" in html
    assert re.findall(r'href="([^"]*)"', html) == [SYSTEM_URL]


def test_the_system_s_own_link_shows_its_address():
    _subject, _plain, html = _commented("请审阅")
    assert f'<a href="{SYSTEM_URL}" style="color:#c00;">{SYSTEM_URL}</a>' in html
