"""The load run's people: clerks who browse and save drafts, reviewers who browse and decide.

Started by ``bench/run.py`` (headless, bounded in time, against gunicorn on 127.0.0.1). It reads the personas
that ``bench/load.py prepare`` wrote (BENCH_PERSONAS) and, when the run ends, writes every save and decision the
application confirmed to BENCH_RESULTS, for ``bench/load.py verify`` to find in the database.

Every write goes through the real forms: the editor page is read, its form parsed and posted back with one
change (a unique marker in the first nominee's achievements); a decision is posted from the review page's
decision form. A write counts as confirmed only when the application redirects and shows a success message.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import uuid
from html.parser import HTMLParser

from locust import HttpUser, between, events, task

PERSONAS = json.loads(open(os.environ["BENCH_PERSONAS"], encoding="utf-8").read())
# list pk → markers of the saves tried and of those the application confirmed; nominee pk → decision.
RESULTS: dict = {"saves": {}, "decisions": {}, "attempted_decisions": {}}
_clerks = itertools.cycle(PERSONAS["clerks"])
_reviewers = itertools.cycle(PERSONAS["reviewers"])
SUCCESS = 'class="message success"'
MARKER = re.compile(r"BENCH-LOAD-[0-9a-f]{32}")
KEEP_MARKERS = 50  # 50 markers of 43 characters stay well under the 5,000 characters of the field


class FormParser(HTMLParser):
    """Collects each POST form's action and the values a browser would send (buttons excluded)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = {"action": a.get("action") or "", "fields": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._form["fields"].append([a["name"], a.get("value", "on" if kind in ("checkbox", "radio") else "")])
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]
            self._form["fields"].append(self._textarea)
        elif tag == "select" and a.get("name"):
            self._select = [a["name"], None]
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None and "selected" in a:
            self._select[1] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            if self._select is not None and self._select[1] is None:
                self._select[1] = ""
            self._select = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data


def post_forms(html: str) -> list[dict]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def signed_in(user, session: str) -> None:
    user.client.cookies.set("sessionid", session)


class Clerk(HttpUser):
    """A bureau clerk: looks at the bureau's page and the list, and saves the draft of their own list."""

    wait_time = between(0.5, 1.5)
    weight = 4

    def on_start(self):
        self.persona = next(_clerks)
        signed_in(self, self.persona["session"])
        self.edit_url = f"/nominations/{self.persona['year']}/{self.persona['category']}/edit/"
        self.list_url = f"/nominations/{self.persona['year']}/{self.persona['category']}/"

    @task(3)
    def home(self):
        self.client.get("/nominations/", name="clerk: home")

    @task(1)
    def list_page(self):
        self.client.get(self.list_url, name="clerk: list page")

    @task(3)
    def save_draft(self):
        page = self.client.get(self.edit_url, name="clerk: editor")
        forms = [f for f in post_forms(page.text) if any(n == "rows-0-achievements" for n, _v in f["fields"])]
        if page.status_code != 200 or not forms:
            return
        marker = f"BENCH-LOAD-{uuid.uuid4().hex}"
        fields = [[n, v] for n, v in forms[0]["fields"]]
        for field in fields:
            if field[0] == "rows-0-achievements":
                # Markers accumulate (the last KEEP_MARKERS of them), so the text shows every save it went through.
                text = re.sub(r"\s*BENCH-LOAD-[0-9a-f]{32}", "", field[1]).strip()
                kept = MARKER.findall(field[1])[-(KEEP_MARKERS - 1):]
                field[1] = " ".join([text, *kept, marker]).strip()
        fields.append(["action", "save"])
        record = RESULTS["saves"].setdefault(str(self.persona["list"]), {"attempted": [], "confirmed": []})
        record["attempted"].append(marker)
        with self.client.post(self.edit_url, data=fields, name="clerk: save draft", allow_redirects=False,
                              catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"save answered {response.status_code}")
                return
            response.success()
        confirmation = self.client.get(response.headers["Location"], name="clerk: editor after save")
        if SUCCESS in confirmation.text:
            record["confirmed"].append(marker)
        else:
            events.request.fire(request_type="CHECK", name="clerk: save confirmed", response_time=0,
                                response_length=0, exception=Exception("no success message after save"))


DECIDE = re.compile(r"/review/lists/(\d+)/decide/$")
NOMINEE_FIELD = re.compile(r"n(\d+)-approved")


class Reviewer(HttpUser):
    """A General Office reviewer: looks at the queue, opens a list and decides its nominees one by one."""

    wait_time = between(0.5, 1.5)
    weight = 1

    def on_start(self):
        self.persona = next(_reviewers)
        signed_in(self, self.persona["session"])
        self.lists = list(self.persona["lists"])

    @task(2)
    def queue(self):
        self.client.get("/review/", name="reviewer: queue")

    @task(3)
    def decide(self):
        if not self.lists:
            self.queue()
            return
        list_pk = self.lists[0]
        page = self.client.get(f"/review/lists/{list_pk}/", name="reviewer: list review page")
        # The review page decides every nominee of the list with one form (n<pk>-approved, n<pk>-comment).
        forms = [f for f in post_forms(page.text) if DECIDE.search(f["action"])]
        nominee_pks = [pk for pk in dict.fromkeys(NOMINEE_FIELD.findall(page.text))
                       if pk not in RESULTS["attempted_decisions"]]
        if page.status_code != 200 or not forms or not nominee_pks:
            self.lists.pop(0)  # decided (or no longer decidable): on to the next list
            return
        form = forms[0]
        fields = [[n, v] for n, v in form["fields"] if not re.fullmatch(r"n\d+-(approved|comment)", n)]
        planned = {}
        for index, nominee_pk in enumerate(nominee_pks):
            marker = f"BENCH-LOAD-{uuid.uuid4().hex}"
            approved = (len(RESULTS["decisions"]) + index) % 4 != 3  # now and then a refusal, with its reason
            fields += [[f"n{nominee_pk}-approved", "yes" if approved else "no"], [f"n{nominee_pk}-comment", marker]]
            planned[nominee_pk] = {"approved": approved, "marker": marker}
        RESULTS["attempted_decisions"].update(planned)
        with self.client.post(form["action"], data=fields, name="reviewer: decide", allow_redirects=False,
                              catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"decision answered {response.status_code}")
                return
            response.success()
        confirmation = self.client.get(response.headers["Location"], name="reviewer: list after decision")
        if SUCCESS in confirmation.text:
            RESULTS["decisions"].update(planned)
        else:
            events.request.fire(request_type="CHECK", name="reviewer: decision confirmed", response_time=0,
                                response_length=0, exception=Exception("no success message after decision"))
        self.lists.pop(0)


@events.test_stop.add_listener
def write_results(**_kwargs):
    with open(os.environ["BENCH_RESULTS"], "w", encoding="utf-8") as out:
        json.dump(RESULTS, out)
