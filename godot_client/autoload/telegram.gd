extends Node
## Bridge to Telegram's Mini App API (window.Telegram.WebApp) on the web export.
##
## Outside Telegram (editor, desktop, a plain browser tab) every call is a harmless no-op and the
## getters return neutral values, so the rest of the game never checks the platform itself.

## Telegram switched between light and dark or changed its colours.
signal theme_changed
## The device or Telegram insets changed (notch, fullscreen, Telegram's own header).
signal safe_area_changed
## The player pressed Telegram's back button.
signal back_button_pressed
## The Mini App came back to the foreground.
signal activated
## The Mini App went to the background or the page was hidden: flush work now.
signal deactivated

## Bot API versions that introduced the features used here.
const HAPTICS_VERSION := "6.1"
const BACK_BUTTON_VERSION := "6.1"
const VERTICAL_SWIPES_VERSION := "7.7"
const THEME_JS := "JSON.stringify(window.Telegram.WebApp.themeParams || {})"
const SAFE_AREA_JS := """JSON.stringify({
	safe: window.Telegram.WebApp.safeAreaInset || {},
	content: window.Telegram.WebApp.contentSafeAreaInset || {},
	css_width: window.innerWidth || 0
})"""
const SIDES := ["top", "bottom", "left", "right"]

var _web_app: JavaScriptObject = null
var _is_foreground := true
# JavaScript holds Godot callbacks only through these references: a callback whose
# JavaScriptObject is garbage-collected silently stops firing, so every one is kept here.
var _js_callbacks: Array[JavaScriptObject] = []


func _ready() -> void:
	if not OS.has_feature("web"):
		return
	var telegram: JavaScriptObject = JavaScriptBridge.get_interface("Telegram")
	if telegram == null:
		push_warning("telegram-web-app.js is not loaded: running without Telegram.")
		return
	_web_app = telegram.get("WebApp")
	if _web_app == null:
		return
	# ready() hides Telegram's placeholder; the HTML shell already called it for the loading bar,
	# calling it again as soon as the engine runs is harmless and covers custom shells.
	_web_app.call("ready")
	_web_app.call("expand")
	if is_version_at_least(VERTICAL_SWIPES_VERSION):
		# A vertical swipe would otherwise close the Mini App in the middle of a tapping streak.
		_web_app.call("disableVerticalSwipes")
	_listen("themeChanged", _on_theme_changed)
	_listen("safeAreaChanged", _on_safe_area_changed)
	_listen("contentSafeAreaChanged", _on_safe_area_changed)
	_listen("activated", _on_activated)
	_listen("deactivated", _on_deactivated)
	_listen("backButtonClicked", _on_back_button_clicked)
	var document: JavaScriptObject = JavaScriptBridge.get_interface("document")
	document.call("addEventListener", "visibilitychange", _keep(_on_visibility_changed))


func _notification(what: int) -> void:
	# Native mobile builds get pause/resume from the OS instead of Telegram events.
	if what == NOTIFICATION_APPLICATION_PAUSED:
		_set_foreground(false)
	elif what == NOTIFICATION_APPLICATION_RESUMED:
		_set_foreground(true)


## True inside the web export with telegram-web-app.js loaded (also in a plain browser tab).
func is_web_app() -> bool:
	return _web_app != null


## True when running inside a Telegram client (not a plain browser tab).
func is_in_telegram() -> bool:
	return is_web_app() and str(_web_app.get("platform")) != "unknown"


func is_version_at_least(version: String) -> bool:
	if not is_web_app():
		return false
	var supported: Variant = _web_app.call("isVersionAtLeast", version)
	return supported is bool and supported


## The signed initData string Telegram gave this launch, or "" outside Telegram.
func init_data() -> String:
	if not is_web_app():
		return ""
	var value: Variant = _web_app.get("initData")
	return value if value is String else ""


## The page's origin (scheme://host:port) on the web, "" elsewhere.
func page_origin() -> String:
	if not OS.has_feature("web"):
		return ""
	var location: JavaScriptObject = JavaScriptBridge.get_interface("location")
	return str(location.get("origin")) if location != null else ""


func is_dark() -> bool:
	if is_web_app():
		return str(_web_app.get("colorScheme")) == "dark"
	return DisplayServer.is_dark_mode_supported() and DisplayServer.is_dark_mode()


## Telegram's themeParams (bg_color, text_color, button_color, ...) as "#rrggbb" strings.
func theme_params() -> Dictionary:
	if not is_web_app():
		return {}
	var parsed: Variant = _parse_json(JavaScriptBridge.eval(THEME_JS, true))
	return parsed if parsed is Dictionary else {}


## Insets the game must keep clear, in CSS pixels: the device's safe area plus Telegram's own
## controls in fullscreen. Keys: top, bottom, left, right.
func safe_area_css() -> Dictionary:
	var insets := {"top": 0.0, "bottom": 0.0, "left": 0.0, "right": 0.0}
	if not is_web_app():
		return insets
	var parsed: Variant = _parse_json(JavaScriptBridge.eval(SAFE_AREA_JS, true))
	if not (parsed is Dictionary):
		return insets
	var safe: Dictionary = parsed.get("safe", {})
	var content: Dictionary = parsed.get("content", {})
	for side: String in SIDES:
		insets[side] = _number(safe.get(side)) + _number(content.get(side))
	return insets


## The page width in CSS pixels, or 0 outside the web.
func css_width() -> float:
	if not OS.has_feature("web"):
		return 0.0
	return _number(JavaScriptBridge.eval("window.innerWidth", true))


## A light haptic tick for a tap, where the Telegram client supports it.
func haptic_tap() -> void:
	if is_version_at_least(HAPTICS_VERSION):
		var haptics: JavaScriptObject = _web_app.get("HapticFeedback")
		haptics.call("impactOccurred", "light")


## True when Telegram draws a back button for us (otherwise the game shows its own).
func has_back_button() -> bool:
	return is_in_telegram() and is_version_at_least(BACK_BUTTON_VERSION)


func show_back_button() -> void:
	if has_back_button():
		var back_button: JavaScriptObject = _web_app.get("BackButton")
		back_button.call("show")


func hide_back_button() -> void:
	if has_back_button():
		var back_button: JavaScriptObject = _web_app.get("BackButton")
		back_button.call("hide")


## Calls [param handler] (which takes one Array, the JavaScript arguments) on a WebApp event.
func _listen(event_type: String, handler: Callable) -> void:
	_web_app.call("onEvent", event_type, _keep(handler))


func _keep(handler: Callable) -> JavaScriptObject:
	var callback: JavaScriptObject = JavaScriptBridge.create_callback(handler)
	_js_callbacks.append(callback)
	return callback


func _set_foreground(foreground: bool) -> void:
	if foreground == _is_foreground:
		return
	_is_foreground = foreground
	if foreground:
		activated.emit()
	else:
		deactivated.emit()


func _on_theme_changed(_args: Array) -> void:
	theme_changed.emit()


func _on_safe_area_changed(_args: Array) -> void:
	safe_area_changed.emit()


func _on_activated(_args: Array) -> void:
	_set_foreground(true)


func _on_deactivated(_args: Array) -> void:
	_set_foreground(false)


func _on_back_button_clicked(_args: Array) -> void:
	back_button_pressed.emit()


func _on_visibility_changed(_args: Array) -> void:
	var document: JavaScriptObject = JavaScriptBridge.get_interface("document")
	var hidden: Variant = document.get("hidden")
	_set_foreground(not (hidden is bool and hidden))


static func _parse_json(text: Variant) -> Variant:
	if not (text is String):
		return null
	var json := JSON.new()
	return json.data if json.parse(text) == OK else null


static func _number(value: Variant) -> float:
	return float(value) if value is int or value is float else 0.0
