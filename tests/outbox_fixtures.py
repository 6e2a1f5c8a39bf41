"""The Celery app of the test process pointed at a broker that does not answer (a closed port), and back."""

import pytest

CLOSED_BROKER = "redis://127.0.0.1:1/4"


def celery_point_at(url: str, *, eager: bool) -> None:
    from incentives.celery import app

    app.conf.broker_url = url
    app.conf.task_always_eager = eager
    app._pool = None                   # the connection pool and the producer pool were built for the old URL
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    from incentives.celery import app

    saved = app.conf.broker_url, app.conf.task_always_eager
    celery_point_at(CLOSED_BROKER, eager=False)
    yield CLOSED_BROKER
    celery_point_at(saved[0], eager=saved[1])
