"""gunicorn settings for the web container (values from the environment, with sensible defaults)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 9)))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # recycle workers now and then (memory growth of long-lived processes)
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The TLS proxy in front sets X-Forwarded-Proto; trust it only from the addresses given.
# The same variable tells the application whose X-Forwarded-For to read; "*" is refused by both.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
if "*" in forwarded_allow_ips.split(","):
    raise SystemExit("FORWARDED_ALLOW_IPS=* would let any client choose its own address: list the proxies' addresses")
limit_request_line = 8190
