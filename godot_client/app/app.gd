extends Control
## The root scene: applies Telegram's theme and safe area, signs the player in, and shows one
## screen at a time (onboarding, main, leaderboard) while the click sync runs underneath.
##
## Screens are created once and then only shown or hidden, so a reply that arrives after the
## player switched screens always finds its screen alive.

const ONBOARDING_SCENE := preload("res://screens/onboarding.tscn")
const MAIN_SCENE := preload("res://screens/main.tscn")
const LEADERBOARD_SCENE := preload("res://screens/leaderboard.tscn")
## Space kept between the game and the safe area's edges, in canvas units.
const EDGE_MARGIN := 16.0
const NO_CONNECTION := "Can't reach the game server. Check your connection and try again."

var _profile: ApiModels.Profile
var _main: MainScreen
var _leaderboard: LeaderboardScreen
var _session_over := false

@onready var _background: ColorRect = %Background
@onready var _safe_area: MarginContainer = %SafeArea
@onready var _screens: Control = %Screens
@onready var _boot: VBoxContainer = %Boot
@onready var _boot_message: Label = %BootMessage
@onready var _retry_button: Button = %RetryButton
@onready var _away_overlay: Button = %AwayOverlay
@onready var _click_sync: ClickSync = %ClickSync
@onready var _activity: ActivityMonitor = %Activity


func _ready() -> void:
	_apply_theme()
	_apply_safe_area()
	Telegram.theme_changed.connect(_apply_theme)
	Telegram.safe_area_changed.connect(_apply_safe_area)
	Telegram.back_button_pressed.connect(_close_leaderboard)
	get_viewport().size_changed.connect(_apply_safe_area)
	Api.session_ended.connect(_on_api_session_ended)
	_activity.became_inactive.connect(_on_activity_became_inactive)
	_activity.became_active.connect(_away_overlay.hide)
	_away_overlay.pressed.connect(_activity.resume)
	_retry_button.pressed.connect(_start)
	TestProbe.attach_if_requested(self, _screens, _boot, _click_sync, _activity)
	_start()


func _unhandled_input(event: InputEvent) -> void:
	# Escape (desktop, browser) closes the leaderboard like the back button.
	if event.is_action_pressed("ui_cancel"):
		_close_leaderboard()


func _start() -> void:
	_show_boot("Connecting...", false)
	var signed_in: ApiResponse = await Api.sign_in()
	if _session_over:
		return
	if not signed_in.is_ok():
		_show_boot(_sign_in_problem(signed_in), true)
		return
	var me: ApiResponse = await Api.fetch_me()
	if _session_over:
		return
	if not me.is_ok():
		_show_boot(_server_problem(me), true)
		return
	_profile = ApiModels.Profile.new(me.data)
	_click_sync.start(_profile.id, _profile.clicks, _profile.seq, _profile.limits)
	if _profile.needs_name:
		_show_onboarding()
	else:
		_show_main()


func _show_onboarding() -> void:
	var onboarding: OnboardingScreen = ONBOARDING_SCENE.instantiate()
	onboarding.setup(_profile)
	onboarding.name_saved.connect(_on_onboarding_name_saved.bind(onboarding))
	_screens.add_child(onboarding)
	_show_screen(onboarding)


func _show_main() -> void:
	# Whoever reaches the main screen is here (they just signed in or saved a name): being away
	# during boot or onboarding, where no overlay can bring the game back, must not stick.
	_activity.resume()
	if _main == null:
		_main = MAIN_SCENE.instantiate()
		_main.setup(_profile, _click_sync, _activity)
		_main.leaderboard_requested.connect(_open_leaderboard)
		_screens.add_child(_main)
	_show_screen(_main)


func _open_leaderboard() -> void:
	if _leaderboard == null:
		_leaderboard = LEADERBOARD_SCENE.instantiate()
		_leaderboard.setup(_activity)
		_leaderboard.closed.connect(_close_leaderboard)
		_screens.add_child(_leaderboard)
	_show_screen(_leaderboard)
	Telegram.show_back_button()


func _close_leaderboard() -> void:
	if _leaderboard == null or not _leaderboard.visible:
		return
	Telegram.hide_back_button()
	_show_screen(_main)


func _show_screen(screen: Control) -> void:
	_boot.hide()
	_screens.show()
	for child: Node in _screens.get_children():
		if child is Control:
			(child as Control).visible = child == screen


func _show_boot(message: String, can_retry: bool) -> void:
	_screens.hide()
	_boot_message.text = message
	_retry_button.visible = can_retry
	_boot.show()


func _apply_theme() -> void:
	var palette := Palette.from_theme_params(Telegram.theme_params(), Telegram.is_dark())
	theme = ThemeBuilder.build(palette)
	_background.color = palette.bg
	RenderingServer.set_default_clear_color(palette.bg)


## Keeps the game inside the device's and Telegram's safe area (notches, fullscreen controls).
func _apply_safe_area() -> void:
	var insets: Dictionary = Telegram.safe_area_css()
	var css_width: float = Telegram.css_width()
	# Telegram reports CSS pixels; the stretched canvas has its own units.
	var units_per_css_pixel := get_viewport_rect().size.x / css_width if css_width > 0.0 else 1.0
	for side: String in insets:
		var margin := EDGE_MARGIN + float(insets[side]) * units_per_css_pixel
		_safe_area.add_theme_constant_override("margin_" + side, roundi(margin))


func _sign_in_problem(response: ApiResponse) -> String:
	if not response.reached_server():
		return NO_CONNECTION
	if response.status == 404:
		# No Telegram initData and the server has no dev sign-in (production).
		return "Open the game from Telegram to play."
	return "Sign-in failed: %s" % response.detail


func _server_problem(response: ApiResponse) -> String:
	if not response.reached_server():
		return NO_CONNECTION
	return "The game server has a problem (%s). Try again in a moment." % response.detail


func _on_onboarding_name_saved(profile: ApiModels.Profile, onboarding: OnboardingScreen) -> void:
	_profile = profile
	onboarding.queue_free()
	_show_main()


func _on_activity_became_inactive() -> void:
	_click_sync.flush()
	if _main != null and not _session_over:
		_away_overlay.show()


func _on_api_session_ended(code: String, detail: String) -> void:
	if _session_over:
		return
	_session_over = true
	_click_sync.stop()
	_away_overlay.hide()
	Telegram.hide_back_button()
	if code == "banned":
		_show_boot("You can't play: this account is banned.", false)
	elif Telegram.is_in_telegram():
		_show_boot("Your session has expired. Close the game and open it again.", false)
	else:
		_show_boot("The server refused the sign-in (%s): %s" % [code, detail], false)
