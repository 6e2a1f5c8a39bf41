"""Nothing lost when a piece is down, with real workers on PostgreSQL and Redis (db 4): a worker killed (SIGKILL)
mid-sweep and mid-render, and a broker that does not answer during a return and a publication. Afterwards every
notice and every bulletin is delivered exactly once, within the short stale limits these workers are given
(seconds here; minutes in production).

The workers send mail through ``tests.mailbox_backend`` (one JSON line per accepted message, one second per
message), so the test counts deliveries across processes and has time to kill a worker while it sends. The test
plays the beat: it sends ``outbox_sweep`` and ``bulletins_resume`` every two seconds, as the beat does every
minute.
"""

import datetime
import time
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from measures.models import PolicyDocument
from nominations.models import Cycle, NominationList, ReminderSettings
from organisation.models import AuditEntry, OutboxMessage
from reviews.models import Bulletin

from .factories import PHASES_AFTER as AFTER
from .factories import award_all, decide_all, make_user, put_on_notice, roles
from .outbox_fixtures import wait_for

# Redis database 4 is shared by the tests of this group: ./test.sh runs a group on one worker.
pytestmark = [pytest.mark.xdist_group("redis-4"), pytest.mark.real_workers]

# The workers (``Workers``, the ``workers`` fixture), the beat's pace and ``wait_for`` are tests/outbox_fixtures.py's:
# tests/test_ops_outbox_wecom.py uses them too.


def message_id(message: OutboxMessage) -> str:
    return f"<outbox-{message.pk}@incentives.example.gov.cn>"


def assert_each_delivered_once(workers):
    messages = list(OutboxMessage.objects.exclude(email=""))
    assert messages and all(m.status == OutboxMessage.Status.SENT for m in messages)
    delivered = workers.delivered()
    assert delivered == Counter({message_id(m): 1 for m in messages}), "a message went out twice or not at all"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_sweep_loses_nothing_and_sends_nothing_twice(workers, bureau):
    water = bureau("市水务局")
    # One reminder per clerk and sending (all the bureau's categories in it): six clerks, six messages.
    for number in range(6):
        make_user(f"clerk{number}", role=roles.BUREAU_STAFF, bureaus=[water], email=f"clerk{number}@example.gov.cn")
    ReminderSettings.objects.create(pk=1, send_from_hour=0)
    now = timezone.now()
    Cycle.objects.create(year=2025, document=PolicyDocument.objects.get(in_force=True),
                         opens_at=now - datetime.timedelta(days=30), deadline=now + datetime.timedelta(days=3))
    first = workers.start()
    workers.app.send_task("nominations.tasks.reminders_sweep")

    # Killed while it delivers what the sweep recorded: some sent, one in the mail server's hands, the rest queued.
    def sending_the_third():  # two delivered, and another one claimed and still in the mail server's hands
        delivered = workers.delivered()
        handed_over = [message_id(m) for m in OutboxMessage.objects.filter(status="sending")]
        return len(delivered) >= 2 and any(m not in delivered for m in handed_over)

    wait_for(sending_the_third, "the worker to be sending its third message")
    workers.kill(first)
    killed_at = time.monotonic()
    statuses = Counter(OutboxMessage.objects.values_list("status", flat=True))
    assert statuses["sending"] == 1 and statuses["pending"] >= 1, statuses

    workers.start()
    wait_for(lambda: not OutboxMessage.objects.exclude(status__in=["sent", "skipped"]).exists(),
             "every reminder to be sent", tick=workers.beat)
    assert time.monotonic() - killed_at < 45  # the stale claim (6 s here, 5 minutes by default) bounds the delay
    assert_each_delivered_once(workers)
    # The one the killed worker held was claimed again after its claim turned stale, and sent once.
    assert sorted(OutboxMessage.objects.values_list("attempts", flat=True))[-2:] == [1, 2]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_render_leaves_a_version_taken_up_again_and_rendered_once(workers, category, bureau):
    cycle = Cycle.objects.create(year=2025, document=PolicyDocument.objects.get(in_force=True),
                                 opens_at=timezone.now() - datetime.timedelta(days=300),
                                 deadline=timezone.now() - datetime.timedelta(days=200), state=Cycle.State.REVIEW)
    award_all(cycle, category, bureau)
    bulletin = Bulletin.objects.create(cycle=cycle, version=1)
    first = workers.start()
    workers.app.send_task("reviews.tasks.bulletin_render", args=[bulletin.pk])
    wait_for(lambda: Bulletin.objects.filter(pk=bulletin.pk).exclude(status="pending").exists(),
             "the render to be claimed", every=0.01)
    workers.kill(first)
    killed_at = time.monotonic()
    bulletin.refresh_from_db()
    assert bulletin.status == Bulletin.Status.RENDERING and not bulletin.file, "the render finished before the kill"

    workers.start()
    wait_for(lambda: Bulletin.objects.filter(pk=bulletin.pk, status__in=["done", "failed"]).exists(),
             "the version to be rendered again", tick=workers.beat)
    assert time.monotonic() - killed_at < 50  # stale after 12 s here (10 minutes by default)
    bulletin.refresh_from_db()
    assert bulletin.status == Bulletin.Status.DONE, bulletin.error
    assert (workers.tmp_path / "media" / bulletin.file.name).stat().st_size == bulletin.size > 0
    time.sleep(3)  # the killed worker's message is handed out again after the visibility timeout (12 s): a no-op
    assert Bulletin.objects.filter(cycle=cycle).count() == 1
    assert AuditEntry.objects.filter(action="bulletin.rendered").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_return_and_a_publication_with_the_broker_unreachable_are_delivered_once_it_is_back(
        workers, client, reviewer, clerk_water, category, bureau, districts, broker_down):
    from nominations.models import Nominee

    cycle = Cycle.objects.create(year=2024, document=PolicyDocument.objects.get(in_force=True),
                                 opens_at=datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC),
                                 deadline=datetime.datetime(2025, 3, 31, 15, 59, 59, tzinfo=datetime.UTC))
    lists = []
    for code in ("19-1", "6"):
        nl = NominationList.objects.create(cycle=cycle, category=category(code), bureau=bureau("市水务局"),
                                           state=NominationList.State.SUBMITTED, created_by=clerk_water,
                                           submitted_at=AFTER - datetime.timedelta(days=20))
        for rank, unit in enumerate(districts[:2], start=1):
            Nominee.objects.create(nomination_list=nl, unit=unit, rank=rank, achievements="成效明显")
        lists.append(nl)
    returned, kept = lists
    client.force_login(reviewer)

    # The broker does not answer: the return and the publication succeed all the same.
    started = time.monotonic()
    response = client.post(reverse("reviews:list_return", args=[returned.pk]), {"reason": "附件不全，请补充。"})
    assert response.status_code == 302
    assert NominationList.objects.get(pk=returned.pk).state == NominationList.State.RETURNED
    decide_all(reviewer, kept)
    put_on_notice(reviewer, cycle, at=AFTER)
    response = client.post(reverse("reviews:publish", args=[cycle.year]), {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("results:cycle", args=[cycle.year])
    assert time.monotonic() - started < 20  # a refused connection costs milliseconds, not a timeout per message
    assert Cycle.objects.get(pk=cycle.pk).state == Cycle.State.PUBLISHED
    assert Bulletin.objects.get(cycle=cycle).status == Bulletin.Status.PENDING
    kinds = Counter(OutboxMessage.objects.filter(status="pending").values_list("kind", flat=True))
    assert kinds["returned"] == 1 and kinds["final"] >= 2 and kinds["notice"] >= 2, kinds
    assert not OutboxMessage.objects.exclude(status__in=["pending", "skipped"]).exists()

    # The broker is back: the beat's sweeps hand everything over; each notice and the bulletin go out once.
    workers.start()
    wait_for(lambda: (not OutboxMessage.objects.exclude(status__in=["sent", "skipped"]).exists()
                      and Bulletin.objects.filter(cycle=cycle, status__in=["done", "failed"]).exists()),
             "every notice and the bulletin", tick=workers.beat)
    assert_each_delivered_once(workers)
    bulletin = Bulletin.objects.get(cycle=cycle)
    assert bulletin.status == Bulletin.Status.DONE, bulletin.error
    assert AuditEntry.objects.filter(action="bulletin.rendered").count() == 1
