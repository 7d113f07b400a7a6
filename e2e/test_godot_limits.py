"""The server's sync limits reach the Godot client (GET /api/me `limits`): with
MAX_CLICKS_PER_SYNC lowered to 5 on the server, a fast tapping streak leaves in batches of at
most 5, none is refused and not one tap is lost."""

from collections.abc import Callable, Iterator

import pytest

from e2e.fault_proxy import FaultProxy
from e2e.godot_engine import GodotPage
from e2e.godot_fixtures import seed_player, server_clicks
from e2e.server import GameServer

pytestmark = pytest.mark.e2e

GODOT_SERVER_ENV = {"MAX_CLICKS_PER_SYNC": "5"}


@pytest.fixture
def proxy(godot_server: GameServer) -> Iterator[FaultProxy]:
    with FaultProxy(godot_server.base_url) as running:
        yield running


def test_a_lowered_batch_limit_is_followed_and_loses_no_tap(
    godot_server: GameServer, proxy: FaultProxy, play: Callable[..., GodotPage]
) -> None:
    seed_player(godot_server.base_url, 8_500_001, "Small Batches", 0)
    page = play(8_500_001, base_url=proxy.base_url)
    page.wait_screen("main")
    # Five fingers at a time: taps pile up far faster than batches of 5 can leave.
    for _ in range(4):
        page.tap_with_fingers("Main/TapButton", 5)
    page.tap_with_fingers("Main/TapButton", 3)
    page.wait(lambda s: s["sync"]["shown_clicks"] == 23, "23 taps on screen")
    page.wait(lambda s: s["sync"]["unconfirmed"] == 0, "every batch confirmed", 60)
    assert server_clicks(godot_server.base_url, 8_500_001) == 23
    # No batch refused and sent again: every request carried new taps, at most 5.
    sizes = [request.count for request in proxy.clicks]
    assert sum(sizes) == 23
    assert max(sizes) == 5
