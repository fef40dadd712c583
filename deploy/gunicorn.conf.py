"""gunicorn settings of the one-machine production stack (``make prod``, deploy/Procfile).

Every value can be overridden from the environment. Threads let a worker keep serving pages
while another thread waits on PostgreSQL; PDF rendering is CPU-bound, so workers stay near
2 × cores. ``max_requests`` recycles a worker now and then so memory never creeps.
"""
import os

bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = int(os.environ.get("WEB_TIMEOUT", "120"))  # a 200-event closure report, an xlsx
graceful_timeout = 30
# idle keep-alive connections wait this long: past a client's pause between clicks, so a
# reused connection is not closed under it ("connection reset"); nginx in front keeps its own
keepalive = 30
max_requests = 5000
max_requests_jitter = 500
# the proxy in front (deploy/nginx.conf) is on this machine: believe its forwarded headers
forwarded_allow_ips = "127.0.0.1"
accesslog = os.environ.get("WEB_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
proc_name = "safeloop-web"


def post_worker_init(worker):
    """A new worker compiles its templates before it takes its first request, then puts what
    it has loaded out of the garbage collector's way."""
    from blueprints import warm_templates
    from workflow.platform.collector import settle_long_lived

    warm_templates(worker.wsgi)
    settle_long_lived()


# gunicornc's control socket: per installation (two stacks on one machine must not share one)
if os.environ.get("WEB_CONTROL_SOCKET"):
    control_socket = os.environ["WEB_CONTROL_SOCKET"]
else:
    control_socket_disable = True
