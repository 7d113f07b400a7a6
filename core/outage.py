"""A process-local circuit breaker for an optional dependency (Redis).

After a failure the caller skips the dependency for `seconds` (monotonic), so an outage costs one
failed call per process and period instead of one per request, and the caller logs the outage
once: `failed()` says whether this failure started it, `succeeded()` whether it just ended.
"""

import threading
import time
from collections.abc import Callable


class OutagePause:
    """Whether a dependency failed moments ago in this process, and since when to try again."""

    def __init__(self, *, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._retry_at = 0.0
        self._failing = False
        self._lock = threading.Lock()

    def active(self) -> bool:
        """True while the pause after the latest failure lasts: skip the dependency."""
        return self.clock() < self._retry_at

    @property
    def failing(self) -> bool:
        """True from a failure until the dependency answers again (the pause may be over)."""
        return self._failing

    def failed(self) -> bool:
        """Start (or restart) the pause; True when this failure begins an outage."""
        with self._lock:
            began = not self._failing
            self._failing = True
            self._retry_at = self.clock() + self.seconds
        return began

    def succeeded(self) -> bool:
        """The dependency answered; True when that ends an outage."""
        if not self._failing:
            return False
        with self._lock:
            ended, self._failing = self._failing, False
        return ended

    def clear(self) -> None:
        """Forget any failure (tests, and a fresh start)."""
        with self._lock:
            self._retry_at = 0.0
            self._failing = False
