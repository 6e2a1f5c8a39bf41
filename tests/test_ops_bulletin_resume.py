"""A bulletin render never stays "rendering": a claim older than BULLETIN_STALE_RENDER_MINUTES belongs to a
process that died and is taken up again, by the next attempt or by the beat's periodic bulletins_resume."""

import datetime

import pytest
from django.utils import timezone

from reviews import bulletins
from reviews import services as review_services
from reviews.models import Bulletin
from reviews.tasks import bulletins_resume

from .factories import make_awarded_cycle


@pytest.fixture(autouse=True)
def media(media_root):
    return media_root


@pytest.fixture
def cycle(db, category, bureau):
    """The 2025 cycle under review, its categories awarded (the bulletin's tests' cycle)."""
    return make_awarded_cycle(category, bureau)


@pytest.fixture
def left_rendering(cycle):
    """A version a worker claimed, then died (kill -9) before finishing."""
    def make(minutes_ago: float) -> Bulletin:
        claimed = timezone.now() - datetime.timedelta(minutes=minutes_ago)
        bulletin = Bulletin.objects.create(cycle=cycle, version=Bulletin.objects.filter(cycle=cycle).count() + 1,
                                           status=Bulletin.Status.RENDERING)
        Bulletin.objects.filter(pk=bulletin.pk).update(claimed_at=claimed, requested_at=claimed)
        return bulletin
    return make


def test_a_killed_render_waits_two_minutes_and_the_render_is_stopped_well_before(settings):
    """The defaults: a claim turns stale after 2 minutes; the render's task is stopped after 90 s, before that,
    so a live render is never taken up a second time (the settings refuse the opposite)."""
    from reviews.tasks import bulletin_render

    assert settings.BULLETIN_STALE_RENDER_MINUTES == 2
    assert bulletins.stale_render_after() == datetime.timedelta(minutes=2)
    assert bulletin_render.time_limit == settings.BULLETIN_RENDER_TIME_LIMIT == 90
    assert bulletin_render.soft_time_limit < bulletin_render.time_limit < 2 * 60


def test_a_render_claimed_by_a_dead_worker_is_taken_up_by_the_next_attempt(left_rendering):
    stale = left_rendering(3)
    rendered = bulletins.bulletin_render(bulletin_id=stale.pk)
    assert rendered is not None and rendered.status == Bulletin.Status.DONE
    stale.refresh_from_db()
    assert stale.sha256 and stale.file


def test_a_fresh_claim_is_left_to_its_worker_until_it_turns_stale(left_rendering):
    busy = left_rendering(1)
    assert bulletins.bulletin_render(bulletin_id=busy.pk) is None
    busy.refresh_from_db()
    assert busy.status == Bulletin.Status.RENDERING
    expires = bulletins.bulletin_claim_expires(bulletin_id=busy.pk)
    assert expires == busy.claimed_at + datetime.timedelta(minutes=2)
    assert bulletins.bulletins_to_resume() == []
    # Two minutes on, the same version is found and rendered.
    later = timezone.now() + datetime.timedelta(minutes=2)
    assert bulletins.bulletins_to_resume(now=later) == [busy.pk]


def test_the_periodic_task_renders_what_was_left_behind(cycle, left_rendering):
    stale = left_rendering(30)
    fresh = left_rendering(1)
    lost = Bulletin.objects.create(cycle=cycle, version=3)  # its task was never delivered
    Bulletin.objects.filter(pk=lost.pk).update(requested_at=timezone.now() - datetime.timedelta(minutes=15))
    assert bulletins_resume() == [stale.pk, lost.pk]  # eager here: rendered at once
    statuses = dict(Bulletin.objects.values_list("pk", "status"))
    assert statuses == {stale.pk: "done", fresh.pk: "rendering", lost.pk: "done"}


def test_claiming_records_when(cycle, django_capture_on_commit_callbacks, reviewer):
    with django_capture_on_commit_callbacks(execute=True):
        bulletin = review_services.bulletin_request(cycle=cycle, actor=reviewer)
    bulletin.refresh_from_db()
    assert bulletin.status == Bulletin.Status.DONE
    assert bulletin.requested_at <= bulletin.claimed_at <= bulletin.finished_at
