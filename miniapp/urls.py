"""Routes of the Mini App: the entry at MINI_APP_PATH with the Godot files beside it, and the
light client at its fixed path. Included last: the file route only takes flat names with an
extension (`index.wasm`), so it never shadows another page.
"""

import re

from django.conf import settings
from django.urls import URLPattern, path, re_path

from miniapp import dev_signin, views

LIGHT_CLIENT_ROUTE = "play/web/"


def mini_app_route(mini_app_path: str) -> str:
    """MINI_APP_PATH as a route: `/` -> ``, `/game` or `/game/` -> `game/`.

    The entry is a directory so the Godot page's relative asset URLs land beside it.
    """
    stripped = mini_app_path.strip("/")
    return f"{stripped}/" if stripped else ""


def mini_app_urlpatterns(mini_app_path: str) -> list[URLPattern]:
    """The entry page and its build files under `mini_app_path`, and the light client."""
    entry = mini_app_route(mini_app_path)
    return [
        path("dev/signin", dev_signin.dev_signin_page, name="dev-signin"),
        path("api/dev/initdata", dev_signin.dev_init_data_api, name="dev-initdata"),
        path(entry, views.mini_app_entry, name="miniapp-entry"),
        path(LIGHT_CLIENT_ROUTE, views.light_client, name="miniapp-light-client"),
        re_path(
            rf"^{re.escape(entry)}(?P<name>[A-Za-z0-9_][A-Za-z0-9_.-]*\.[A-Za-z0-9]+)$",
            views.godot_build_file,
            name="miniapp-godot-file",
        ),
    ]


urlpatterns = mini_app_urlpatterns(settings.MINI_APP_PATH)
