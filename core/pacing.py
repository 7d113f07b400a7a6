"""How often clients are asked to come back: intervals that grow with the players online.

The server keeps its request rate near a budget by telling each client how long to wait; past
the budget the intervals grow (bigger click batches, staler boards) instead of the latency.
No Django in here.
"""

import math


def paced_interval_ms(
    *, active_players: int, budget_rps: int, minimum_ms: int, maximum_ms: int
) -> int:
    """Milliseconds between one client's requests so that `active_players` clients together
    send about `budget_rps` requests per second, bounded to `minimum_ms`-`maximum_ms`."""
    if budget_rps <= 0:
        return maximum_ms
    wanted = math.ceil(1000 * max(0, active_players) / budget_rps)
    return max(minimum_ms, min(maximum_ms, wanted))
