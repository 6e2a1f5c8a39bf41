"""A mail backend for tests that start a real worker: each message the "server" accepts is one JSON line in the
file ``TEST_MAILBOX`` names, so the test counts deliveries across processes. ``TEST_MAIL_DELAY`` seconds pass
before each acceptance, as with a slow mail server (time for a test to kill the worker mid-send)."""

import json
import os
import time

from django.core.mail.backends.base import BaseEmailBackend


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        delay = float(os.environ.get("TEST_MAIL_DELAY") or 0)
        count = 0
        for message in email_messages:
            if delay:
                time.sleep(delay)
            with open(os.environ["TEST_MAILBOX"], "a", encoding="utf-8") as mailbox:
                mailbox.write(json.dumps({"message_id": message.extra_headers.get("Message-ID", ""),
                                          "to": message.to, "subject": message.subject}, ensure_ascii=False) + "\n")
            count += 1
        return count
