"""project.godot and the Web export preset hold the settings the game needs inside Telegram."""

from pathlib import Path

import pytest
from godot_project import GODOT_ROOT, REPO_ROOT, decode, game_files, parse_cfg, res_to_path

PROJECT = parse_cfg(GODOT_ROOT / "project.godot")
PRESETS = parse_cfg(GODOT_ROOT / "export_presets.cfg")


def _setting(section: str, key: str) -> object:
    assert key in PROJECT.get(section, {}), f"project.godot has no [{section}] {key}"
    return decode(PROJECT[section][key])


def _web_preset() -> tuple[dict[str, str], dict[str, str]]:
    for section, values in PRESETS.items():
        if section.count(".") == 1 and decode(values.get("platform", '""')) == "Web":
            return values, PRESETS[f"{section}.options"]
    pytest.fail("export_presets.cfg has no Web preset")


def _option(key: str) -> object:
    _, options = _web_preset()
    assert key in options, f"the Web preset has no option {key}"
    return decode(options[key])


def test_project_is_a_godot_4_5_project() -> None:
    assert decode(PROJECT[""]["config_version"]) == 5
    assert "4.5" in _setting("application", "config/features")


def test_project_renders_with_the_compatibility_renderer_everywhere() -> None:
    # WebGL 2 (Compatibility) is the only renderer that runs in browsers.
    assert _setting("rendering", "renderer/rendering_method") == "gl_compatibility"
    assert _setting("rendering", "renderer/rendering_method.mobile") == "gl_compatibility"
    assert "GL Compatibility" in _setting("application", "config/features")


def test_project_is_portrait_and_scales_its_canvas_to_any_screen() -> None:
    assert _setting("display", "window/handheld/orientation") == 1  # SCREEN_PORTRAIT
    assert _setting("display", "window/stretch/mode") == "canvas_items"
    assert _setting("display", "window/stretch/aspect") == "expand"
    width = _setting("display", "window/size/viewport_width")
    height = _setting("display", "window/size/viewport_height")
    assert isinstance(width, int) and isinstance(height, int) and height > width


def test_main_scene_is_the_app_scene() -> None:
    main_scene = _setting("application", "run/main_scene")
    assert main_scene == "res://app/app.tscn"
    assert res_to_path(main_scene).is_file()


def test_autoloads_are_the_telegram_bridge_then_the_api_client() -> None:
    autoloads = PROJECT["autoload"]
    # Order matters: Api reads the page origin through Telegram when it starts.
    assert list(autoloads) == ["Telegram", "Api"]
    for name, raw in autoloads.items():
        value = decode(raw)
        assert value.startswith("*res://"), f"{name} must be a singleton (leading *)"
        assert res_to_path(value.removeprefix("*")).is_file()


def test_api_base_url_for_the_editor_is_the_dev_server() -> None:
    assert _setting("clickgame", "api/base_url") == "http://127.0.0.1:8000"
    assert _setting("clickgame", "api/timeout_seconds") > 0


def test_web_preset_is_single_threaded() -> None:
    # Telegram's WebViews are not cross-origin isolated, so a threaded build would not start.
    assert _option("variant/thread_support") is False
    assert _option("variant/extensions_support") is False
    assert _option("progressive_web_app/ensure_cross_origin_isolation_headers") is False


def test_web_preset_turns_on_the_virtual_keyboard_for_the_name_field() -> None:
    assert _option("html/experimental_virtual_keyboard") is True


def test_web_preset_uses_the_telegram_html_shell() -> None:
    shell = _option("html/custom_html_shell")
    assert shell == "res://web/shell.html"
    assert res_to_path(shell).is_file()


def test_web_preset_exports_to_the_directory_the_backend_serves() -> None:
    values, _ = _web_preset()
    assert decode(values["name"]) == "Web"  # the name `godot --export-release "Web"` uses
    assert decode(values["runnable"]) is True
    assert decode(values["export_path"]) == "build/index.html"
    env_example = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    assert "GODOT_BUILD_DIR=godot_client/build" in env_example
    assert "godot_client/build/" in (REPO_ROOT / ".gitignore").read_text(encoding="utf-8")


def test_web_preset_ships_the_api_contract_in_the_pack() -> None:
    values, _ = _web_preset()
    assert "api/contract.json" in decode(values["include_filter"])


def test_web_preset_keeps_the_export_lean() -> None:
    # 2D with no imported textures: no VRAM-compressed copies, no service worker caching a stale
    # build inside Telegram.
    assert _option("vram_texture_compression/for_desktop") is False
    assert _option("vram_texture_compression/for_mobile") is False
    assert _option("progressive_web_app/enabled") is False
    assert _option("html/canvas_resize_policy") == 2  # adaptive: the canvas follows the window


def test_game_assets_are_small_text_files() -> None:
    """No binary art: the game draws with styleboxes and labels, so the .pck stays tiny."""
    heavy_suffixes = {".png", ".jpg", ".jpeg", ".webp", ".ogg", ".wav", ".mp3", ".ttf", ".otf"}
    files = game_files()
    assert files, "no game files found"
    heavy = [path for path in files if path.suffix in heavy_suffixes]
    large = [path for path in files if path.stat().st_size > 32 * 1024]
    assert heavy == []
    assert large == []


def test_icon_is_the_small_svg_in_the_project() -> None:
    icon = _setting("application", "config/icon")
    assert icon == "res://icon.svg"
    assert Path(res_to_path(icon)).stat().st_size < 2048
