"""Gunicorn settings for a Lawtrace web node (deploy/systemd/lawtrace-web.service starts it).

Why gunicorn with threads (gthread): Lawtrace is a synchronous Django application (the ORM, psycopg, WeasyPrint,
boto3), so an ASGI server (uvicorn, or granian in ASGI mode) would only run its views in a thread pool behind an
event loop, adding a layer without adding concurrency. What a web node mostly does is wait on the network: an
upload chunk arriving, a video range going out to a viewer, an S3 read. Threads carry such waits cheaply; a few
processes per core use the cores for the CPU-bound rest (templates, PDFs), and a process that dies is replaced by the
arbiter. Gunicorn is the long-established choice, packaged, documented and understood by operators; granian's WSGI
mode would also do, but is younger and adds a Rust runtime to audit. Every knob below can be set from the
environment file.
"""

import multiprocessing
import os

bind = os.environ.get("LAWTRACE_BIND", "127.0.0.1:8000").split(",")
worker_class = "gthread"
workers = int(os.environ.get("LAWTRACE_WEB_PROCESSES", str(max(2, multiprocessing.cpu_count()))))
# Each thread carries one request: a chunk of an upload or a range of a video at a time.
threads = int(os.environ.get("LAWTRACE_WEB_THREADS", "16"))
# gthread workers report to the arbiter from their main loop, so a long stream does not count against this; it
# catches a process that is stuck as a whole.
timeout = int(os.environ.get("LAWTRACE_WEB_TIMEOUT", "120"))
graceful_timeout = 30
# Longer than the proxy keeps idle connections to a node (nginx's upstream keepalive_timeout, 60 s): the proxy must
# be the side that closes, or it reuses a connection the node has just closed and its request fails.
keepalive = 75
# Fresh processes now and then keep memory flat over years of running.
max_requests = 5000
max_requests_jitter = 500
# Gunicorn believes X-Forwarded-Proto only from the proxies Lawtrace itself trusts (lawtrace.middleware).
forwarded_allow_ips = os.environ.get("LAWTRACE_TRUSTED_PROXIES", "127.0.0.1,::1")
# systemd manages the process (reload: SIGHUP); no control socket in the service account's home.
control_socket_disable = True
# Lawtrace writes its own access log line per request, with the request id (lawtrace.middleware).
accesslog = None
errorlog = "-"
# The upload and stream views read and write in chunks; no request body is spooled by gunicorn itself.
limit_request_line = 8190


def child_exit(server, worker):
    """A finished process's counters stay counted (prometheus_client's multiprocess mode); its gauges go."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
