"""Before and after the load run, on the database DATABASE_URL points at.

``prepare`` picks the people the load plays and signs them in (database sessions, so the load needs no
password hashing and meets no login throttle):

* clerks: one per editable list of the open cycle (a draft or a returned list with nominees), each saving
  only their own list, so no two simulated people ever edit the same list;
* reviewers: each with their own share of the submitted lists, deciding nominee after nominee.

It writes the personas and each list's version before the run. ``verify`` reads what the load reports it
saved (every save and decision the application confirmed) and checks that each one is in the database:
every list's version rose by exactly the number of confirmed saves, the last confirmed marker text is in the
list, and every confirmed decision is there with its marker comment.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incentives.settings")
    import django

    django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402

from nominations import states  # noqa: E402
from nominations.models import Cycle, NominationList, Nominee  # noqa: E402
from organisation import roles  # noqa: E402
from organisation.models import Membership  # noqa: E402
from reviews.models import Decision  # noqa: E402

KEEP_MARKERS = 50  # as in bench/locustfile.py


def _session_for(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # The backend a password sign-in records (the first configured: ModelBackend itself is not listed, and a session
    # naming a backend the settings do not list is signed out at its first request).
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


def prepare(*, clerks: int, reviewers: int) -> dict:
    User = get_user_model()
    cycle = Cycle.objects.filter(state=Cycle.State.OPEN).order_by("-year").first()
    if cycle is None:
        raise SystemExit("No open cycle in this database.")
    members: dict[int, list[int]] = {}
    for user_id, bureau_id in Membership.objects.filter(user__is_active=True).values_list("user_id", "bureau_id"):
        members.setdefault(bureau_id, []).append(user_id)
    editable = (
        NominationList.objects.filter(cycle=cycle, state__in=states.states_allowing("edit"), nominees__isnull=False)
        .select_related("category").distinct().order_by("pk")
    )
    clerk_personas, used_users = [], set()
    for nomination_list in editable:
        candidates = [u for u in members.get(nomination_list.bureau_id, []) if u not in used_users]
        if not candidates:
            continue
        user = User.objects.get(pk=candidates[0])
        used_users.add(user.pk)
        clerk_personas.append({
            "username": user.username, "session": _session_for(user), "list": nomination_list.pk,
            "year": cycle.year, "category": nomination_list.category_id, "version": nomination_list.version,
        })
        if len(clerk_personas) >= clerks:
            break
    reviewer_users = list(User.objects.filter(groups__name=roles.REVIEWER, is_active=True).order_by("pk")[:reviewers])
    submitted = list(NominationList.objects.filter(cycle=cycle, state=NominationList.State.SUBMITTED)
                     .order_by("pk").values_list("pk", flat=True))
    reviewer_personas = [
        {"username": user.username, "session": _session_for(user), "lists": submitted[i::len(reviewer_users)]}
        for i, user in enumerate(reviewer_users)
    ]
    return {"cycle": cycle.year, "clerks": clerk_personas, "reviewers": reviewer_personas}


def verify(personas: dict, results: dict) -> dict:
    """Compare what the load says the application confirmed with what the database holds.

    A save is confirmed when the application redirected and showed its success message. Each confirmed save's
    marker must be in its list (the text keeps the last markers, see bench/locustfile.py), and the list's
    version must have risen at least once per confirmed save and at most once per attempt (a save still in
    flight when the run stopped may have been written without its confirmation being read)."""
    saves = results.get("saves", {})
    before = {str(p["list"]): p["version"] for p in personas["clerks"]}
    texts: dict[int, str] = {}
    for list_pk, achievements in Nominee.objects.filter(nomination_list_id__in=[int(k) for k in saves], rank=1
                                                        ).values_list("nomination_list_id", "achievements"):
        texts[list_pk] = achievements
    versions = dict(NominationList.objects.filter(pk__in=[int(k) for k in saves]).values_list("pk", "version"))
    lost_saves, confirmed, unconfirmed_written = [], 0, 0
    for list_pk, record in saves.items():
        confirmed += len(record["confirmed"])
        text = texts.get(int(list_pk), "")
        missing = [m for m in record["confirmed"][-KEEP_MARKERS:] if m not in text]
        rose = versions.get(int(list_pk), 0) - before[list_pk]
        unconfirmed_written += sum(1 for m in record["attempted"] if m in text and m not in record["confirmed"])
        if missing or not len(record["confirmed"]) <= rose <= len(record["attempted"]):
            lost_saves.append({"list": int(list_pk), "confirmed": len(record["confirmed"]),
                               "attempted": len(record["attempted"]), "version_rose_by": rose,
                               "confirmed_markers_missing": len(missing)})
    decisions = results.get("decisions", {})  # nominee pk → {"approved": bool, "marker": str}
    found = {
        str(pk): (approved, comment)
        for pk, approved, comment in Decision.objects.filter(nominee_id__in=[int(k) for k in decisions])
        .values_list("nominee_id", "approved", "comment")
    }
    lost_decisions = [
        int(pk) for pk, record in decisions.items()
        if found.get(pk) is None or found[pk][0] != record["approved"] or record["marker"] not in found[pk][1]
    ]
    return {
        "saves_confirmed": confirmed, "saves_attempted": sum(len(r["attempted"]) for r in saves.values()),
        "saves_unconfirmed_but_written": unconfirmed_written, "lists_saved": len(saves), "saves_lost": lost_saves,
        "decisions_confirmed": len(decisions), "decisions_attempted": len(results.get("attempted_decisions", {})),
        "decisions_lost": lost_decisions,
    }


def main(argv=None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Prepare or verify the load run")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--clerks", type=int, default=16)
    p.add_argument("--reviewers", type=int, default=4)
    p.add_argument("--out", required=True)
    v = sub.add_parser("verify")
    v.add_argument("--personas", required=True)
    v.add_argument("--results", required=True)
    args = parser.parse_args(argv)
    if args.command == "prepare":
        personas = prepare(clerks=args.clerks, reviewers=args.reviewers)
        Path(args.out).write_text(json.dumps(personas, ensure_ascii=False))
        print(json.dumps({"clerks": len(personas["clerks"]), "reviewers": len(personas["reviewers"])}))
    else:
        personas = json.loads(Path(args.personas).read_text())
        results = json.loads(Path(args.results).read_text())
        print(json.dumps(verify(personas, results)))


if __name__ == "__main__":
    main()
