"""gunicorn settings (values from the environment, with the defaults the image and deploy/README.md use)."""

import multiprocessing
import os

# In the container gunicorn listens on every interface of the container; docker-compose.yml publishes the port on
# the host's 127.0.0.1 only, for the TLS proxy on the same host. Without Docker: GUNICORN_BIND=127.0.0.1:8000.
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 9)))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
# A stop (SIGTERM) lets running requests finish for this long; docker-compose.yml's stop_grace_period is longer.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = 5
max_requests = 2000  # recycle workers now and then (memory growth of long-lived processes)
max_requests_jitter = 200
# X-Forwarded-Proto (and the other forwarded headers) are trusted only from the proxy's addresses or networks.
# The application reads the client's address from X-Forwarded-For behind NUM_PROXIES proxies.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
limit_request_line = 8190
# The application writes the access log itself (logger incentives.access: one JSON line per request with the
# client's address behind the proxy, the status, the duration and the request id); gunicorn's own access log would
# only repeat it with the proxy's address and no request id. GUNICORN_ACCESS_LOG=- turns it on anyway. (gunicorn
# writes access lines whenever a logging configuration is given, accesslog or not: the logger gunicorn.access below
# discards them unless it is on.)
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# gunicorn's control socket (for gunicornc) defaults to a file in the home folder, which every instance run by the
# same user would share: it is off, unless GUNICORN_CONTROL_SOCKET names a path in this instance's own run
# directory (the systemd unit's RuntimeDirectory, for example).
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
if "*" in forwarded_allow_ips.split(","):
    raise SystemExit("FORWARDED_ALLOW_IPS=* would let any client choose its own address: list the proxies' addresses")
# gunicorn's own lines (start, stop, worker timeouts) in the application's format: JSON in Beijing time.
if os.environ.get("LOG_FORMAT", "json" if os.environ.get("APP_ENV") == "production" else "text") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "incentives.logging_json.JsonFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json",
                                 "stream": "ext://sys.stderr"},
                     "discard": {"class": "logging.NullHandler"}},
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False},
            "gunicorn.access": {"handlers": ["console" if accesslog else "discard"], "level": "INFO",
                                "propagate": False},
        },
    }


def on_starting(server):
    # prometheus_client's multiprocess mode: every worker writes its samples into PROMETHEUS_MULTIPROC_DIR,
    # which must start empty.
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
