"""Gunicorn settings for the `web` container: `gunicorn -c deploy/gunicorn.conf.py clickgame.wsgi`.

Workers follow the CPUs the container may really use (its CPU set and cgroup quota), requests are
recycled with jitter, SIGTERM drains in-flight requests for `graceful_timeout` seconds, and every
log line goes to the container's standard streams. Environment variables override the defaults:
WEB_CONCURRENCY (workers), GUNICORN_THREADS, GUNICORN_TIMEOUT, GUNICORN_MAX_REQUESTS.
"""

import math
import os
import tempfile
from pathlib import Path

CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def _env_int(name: str, default: int) -> int:
    """A positive integer from the environment, or `default` when unset or empty."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    value = int(raw)
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}.")
    return value


def cpu_quota(cpu_max: Path = CGROUP_CPU_MAX) -> int | None:
    """CPUs granted by a cgroup v2 quota (`docker run --cpus`), rounded up; None when unlimited."""
    try:
        quota, period = cpu_max.read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    return max(1, math.ceil(int(quota) / int(period)))


def usable_cpus(cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """CPUs this process may run on: its affinity set, capped by a cgroup quota."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    quota = cpu_quota(cpu_max)
    return max(1, min(cpus, quota) if quota else cpus)


def default_workers(cpus: int) -> int:
    """Gunicorn's rule of thumb for workers: two per CPU plus one."""
    return 2 * cpus + 1


bind = "0.0.0.0:8000"
wsgi_app = "clickgame.wsgi:application"
workers = _env_int("WEB_CONCURRENCY", default_workers(usable_cpus()))
# Threads let a worker keep serving while one request waits on Telegram (webhook) or the database.
worker_class = "gthread"
threads = _env_int("GUNICORN_THREADS", 4)

# A request running longer than this is killed; nginx gives up after 60 s anyway.
timeout = _env_int("GUNICORN_TIMEOUT", 30)
# SIGTERM (docker stop): stop accepting, finish in-flight requests for up to this long.
# compose's stop_grace_period (40 s) is longer, so Docker never SIGKILLs a draining worker.
graceful_timeout = 30
keepalive = 5
# Recycle each worker after about this many requests; the jitter keeps them from restarting at once.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = max(1, max_requests // 10)

# Only nginx reaches this port (it is not published), so its X-Forwarded-Proto is believed.
forwarded_allow_ips = "*"
# Heartbeat files in memory, not on the container's overlay filesystem.
SHARED_MEMORY = Path("/dev/shm")  # noqa: S108 (a directory for gunicorn, not a temp file name)
worker_tmp_dir = str(SHARED_MEMORY) if SHARED_MEMORY.is_dir() else None
# Prometheus metrics of every worker, added up by /metrics (core/metrics.py): each worker writes
# its samples to files here. Set before the workers import anything; emptied at start.
METRICS_DIR = Path(
    os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
    or (SHARED_MEMORY if SHARED_MEMORY.is_dir() else Path(tempfile.gettempdir()))
    / "clickgame-metrics"
)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(METRICS_DIR)


def on_starting(server: object) -> None:
    """Start the metrics from zero: files of an earlier run would be added to this one's."""
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    for samples in METRICS_DIR.glob("*.db"):
        samples.unlink()


def child_exit(server: object, worker: object) -> None:
    """Let prometheus-client drop a dead worker's live gauges."""
    from prometheus_client import multiprocess  # only the master runs this hook

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]


# No runtime control socket: nothing manages gunicorn but Docker's signals.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
capture_output = True
