"""Container healthcheck for `web`: exit 0 when GET /ready answers 200, 1 otherwise.

Django answers only host names in ALLOWED_HOSTS, so the probe sends the first one as the Host
header (a leading-dot wildcard loses its dot; `*` becomes localhost). HEALTHCHECK_ADDRESS
(default 127.0.0.1:8000, gunicorn's bind) says where to ask. Standard library only: it runs inside
the image with nothing else installed.
"""

import http.client
import os
import sys

READY_PATH = "/ready"


def probe_host(allowed_hosts: str) -> str:
    """A Host header value that Django will accept, from an ALLOWED_HOSTS value."""
    for entry in allowed_hosts.split(","):
        host = entry.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def check(*, address: str, allowed_hosts: str, timeout: float = 4.0) -> tuple[bool, str]:
    """GET /ready on `address` (host:port); (ready, one line saying what came back)."""
    host, _, port = address.rpartition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.request(
            "GET",
            READY_PATH,
            headers={"Host": probe_host(allowed_hosts), "X-Forwarded-Proto": "https"},
        )
        response = connection.getresponse()
        body = response.read(500).decode("utf-8", "replace")
    except OSError as exc:
        return False, f"{READY_PATH} unreachable on {address}: {exc}"
    finally:
        connection.close()
    return response.status == 200, f"{READY_PATH} answered {response.status}: {body}"


def main() -> int:
    """Probe the local gunicorn and print what it said (Docker keeps it in `inspect`)."""
    ready, summary = check(
        address=os.environ.get("HEALTHCHECK_ADDRESS", "127.0.0.1:8000"),
        allowed_hosts=os.environ.get("ALLOWED_HOSTS", ""),
    )
    print(summary)
    return 0 if ready else 1


if __name__ == "__main__":
    sys.exit(main())
