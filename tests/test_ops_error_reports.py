"""Error reports by mail (incentives.error_reports): sent by a background thread, so a slow or hung mail server
never delays a response; at most one per minute for one kind of error, the others counted in the next; none for
the probes."""

import logging
import socket
import threading

import pytest
from django.core import mail

from incentives.error_reports import ThrottledAdminEmailHandler, is_probe_path
from incentives.logging_json import request_path_var

from .helpers import UNREACHABLE_DATABASE, run_django

OUTAGE = (
    "import logging, time\n"
    "from django.core import mail\n"
    "from django.test import Client\n"
    "client = Client(raise_request_exception=False)\n"
    "handler = next(h for h in logging.getLogger('django.request').handlers if hasattr(h, 'drain'))\n"
)


def test_an_outage_of_the_database_mails_one_report_a_minute_and_none_for_the_probes():
    result = run_django(
        OUTAGE +
        "pages = [client.post('/accounts/login/', {'username': 'someone', 'password': 'whatever-2025'}).status_code\n"
        "         for _ in range(25)]\n"
        "probes = [client.get(path).status_code for path in ['/health/ready', '/health/'] * 5]\n"
        "assert handler.drain(10), 'reports left unsent'\n"
        "print(sorted(set(pages)), len(pages), sorted(set(probes)))\n"
        "for message in mail.outbox: print(message.to, '|', message.subject)\n",
        DATABASE_URL=UNREACHABLE_DATABASE, ADMINS="ops@example.gov.cn",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "[503] 25 [503]"
    reports = lines[1:]
    login = [line for line in reports if "/accounts/login/" in line]
    assert len(login) == 1, reports  # 25 pages of the same outage: one report
    assert login[0].startswith("['ops@example.gov.cn'] |") and "Service Unavailable" in login[0]
    assert not [line for line in reports if "/health" in line], reports
    assert len(reports) <= 3, reports  # nothing else floods: at most a few distinct errors


@pytest.fixture
def hung_mail_server():
    """A server that accepts SMTP connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []
    stop = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _address = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(connection)  # kept open, never answered

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join(2)
    for connection in accepted:
        connection.close()
    server.close()


def test_a_hung_mail_server_does_not_delay_the_response(hung_mail_server):
    port, accepted = hung_mail_server
    result = run_django(
        OUTAGE +
        "started = time.monotonic()\n"
        "status = client.post('/accounts/login/', {'username': 'someone', 'password': 'whatever-2025'}).status_code\n"
        "elapsed = time.monotonic() - started\n"
        "deadline = time.monotonic() + 5\n"
        "while handler.queue.unfinished_tasks and not handler.queue.empty() and time.monotonic() < deadline:\n"
        "    time.sleep(0.05)\n"
        "print(status, round(elapsed, 3), handler.queue.unfinished_tasks)\n",
        DATABASE_URL=UNREACHABLE_DATABASE, ADMINS="ops@example.gov.cn", EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port), EMAIL_TIMEOUT="6",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend")
    assert result.returncode == 0, result.stderr
    status, elapsed, unsent = result.stdout.split()
    assert status == "503"
    # The report is being sent (the server took the connection and hangs it) while the page was answered long
    # before the mail's timeout of 6 s (the process then waits that long for the report before it exits).
    assert float(elapsed) < 2.0, f"the response took {elapsed} s"
    assert unsent == "1"
    assert accepted, "the report was never sent to the mail server"


@pytest.fixture
def reports(settings):
    settings.ADMINS = [("", "ops@example.gov.cn")]
    now = [1000.0]
    handler = ThrottledAdminEmailHandler(interval=60, clock=lambda: now[0])
    logger = logging.getLogger("incentives.tests.error_reports")
    logger.addHandler(handler)
    logger.propagate = False
    mail.outbox.clear()

    def sent():
        assert handler.drain(5)
        return [message.subject for message in mail.outbox]

    yield logger, now, sent
    logger.removeHandler(handler)
    logger.propagate = True


def fail(logger, error_type=ValueError):
    try:
        raise error_type("the same bug")
    except error_type:
        logger.exception("the job failed")


def test_one_report_a_minute_for_one_error_and_the_next_counts_the_ones_held_back(reports):
    logger, now, sent = reports
    for _ in range(5):
        fail(logger)
    assert len(sent()) == 1
    now[0] += 30
    fail(logger)
    assert len(sent()) == 1  # still within the minute
    fail(logger, KeyError)  # another error: its own report
    assert len(sent()) == 2
    now[0] += 31
    fail(logger)
    subjects = sent()
    assert len(subjects) == 3
    assert subjects[2].endswith("(5 more like this)")
    assert "5 more like this in the last 60 s were not mailed" in mail.outbox[2].body
    assert "ValueError" in mail.outbox[2].body and "the same bug" in mail.outbox[2].body  # Django's report
    now[0] += 61
    fail(logger)
    assert sent()[3].endswith("the job failed")  # nothing held back since


def test_nothing_logged_while_answering_a_probe_is_mailed(reports):
    logger, _now, sent = reports
    assert all(is_probe_path(path) for path in ["/health/", "/health/live", "/health/ready", "/metrics"])
    assert not any(is_probe_path(path) for path in ["/", "/healthy", "/review/", "/metrics-old"])
    token = request_path_var.set("/health/ready")
    try:
        fail(logger)
    finally:
        request_path_var.reset(token)
    assert sent() == []
    token = request_path_var.set("/review/")
    try:
        fail(logger)
    finally:
        request_path_var.reset(token)
    assert len(sent()) == 1


def test_without_admins_nothing_is_queued(reports, settings):
    logger, _now, sent = reports
    settings.ADMINS = []
    fail(logger)
    assert sent() == []


def test_the_handler_is_the_one_configured(settings):
    assert settings.LOGGING["handlers"]["mail_admins"]["()"] == "incentives.error_reports.ThrottledAdminEmailHandler"
    assert settings.ERROR_REPORT_INTERVAL == 60
