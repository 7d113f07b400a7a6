class_name MainScreen
extends Control
## The tap screen: a big tap target with press feedback, the player's clicks, share and rank,
## everyone's total, the connection state, and the way to the leaderboard.
##
## Taps count at once through ClickSync; the leaderboard is polled only while this screen is shown
## and the player is here, to keep the world total and the rank fresh.

signal leaderboard_requested

## How far the tap target shrinks on a press before springing back.
const PRESSED_SCALE := 0.92
const SPRING_SECONDS := 0.18

var _profile: ApiModels.Profile
var _sync: ClickSync
var _activity: ActivityMonitor
var _rank := 0
var _refreshing := false
var _press_tween: Tween

@onready var _status: Label = %Status
@onready var _leaderboard_button: Button = %LeaderboardButton
@onready var _player_name: Label = %PlayerName
@onready var _counter: Label = %Counter
@onready var _share: Label = %Share
@onready var _tap_button: Button = %TapButton
@onready var _total: Label = %Total
@onready var _refresh_timer: Timer = %RefreshTimer


## Hands the screen what it shows; call before adding it to the tree.
func setup(profile: ApiModels.Profile, click_sync: ClickSync, activity: ActivityMonitor) -> void:
	_profile = profile
	_sync = click_sync
	_activity = activity


func _ready() -> void:
	var shown_name := _profile.game_name
	_player_name.text = shown_name if not shown_name.is_empty() else _profile.public_name
	# Every finger's touch-down counts (two-thumb tapping): the button's own `pressed` follows
	# only the mouse Godot emulates from the first finger.
	_tap_button.gui_input.connect(_on_tap_button_gui_input)
	_tap_button.resized.connect(_center_tap_pivot)
	_leaderboard_button.pressed.connect(_on_leaderboard_button_pressed)
	_sync.counts_changed.connect(_show_counts)
	_sync.state_changed.connect(_on_sync_state_changed)
	_activity.became_active.connect(_update_polling)
	_activity.became_inactive.connect(_update_polling)
	visibility_changed.connect(_update_polling)
	_refresh_timer.timeout.connect(_refresh)
	_center_tap_pivot()
	_show_counts()
	_update_polling()


func _on_tap_button_gui_input(event: InputEvent) -> void:
	if is_tap(event):
		_count_tap()


## True for a press on the tap target: any finger's touch-down, or a real (not touch-emulated)
## left mouse press.
static func is_tap(event: InputEvent) -> bool:
	if event is InputEventScreenTouch:
		return event.pressed
	if event is InputEventMouseButton:
		var mouse := event as InputEventMouseButton
		return (
			mouse.pressed
			and mouse.button_index == MOUSE_BUTTON_LEFT
			and mouse.device != InputEvent.DEVICE_ID_EMULATION
		)
	return false


func _count_tap() -> void:
	_sync.tap()
	Telegram.haptic_tap()
	if _press_tween != null:
		_press_tween.kill()
	_tap_button.scale = Vector2(PRESSED_SCALE, PRESSED_SCALE)
	_press_tween = create_tween().set_trans(Tween.TRANS_BACK).set_ease(Tween.EASE_OUT)
	_press_tween.tween_property(_tap_button, "scale", Vector2.ONE, SPRING_SECONDS)


func _on_leaderboard_button_pressed() -> void:
	leaderboard_requested.emit()


func _on_sync_state_changed(_state: ClickSync.State) -> void:
	_show_status()


func _center_tap_pivot() -> void:
	_tap_button.pivot_offset = _tap_button.size / 2.0


func _show_counts() -> void:
	_counter.text = NumberFormat.grouped(_sync.shown_clicks())
	var share := "%s of all clicks" % NumberFormat.percent(_sync.shown_share())
	if _rank > 0:
		share += " · rank #%d" % _rank
	_share.text = share
	_total.text = (
		"Everyone together: %s" % NumberFormat.counted(_sync.shown_total(), "click", "clicks")
	)
	_show_status()


func _show_status() -> void:
	var text := "Not syncing"
	var look := &"ErrorLabel"
	match _sync.state:
		ClickSync.State.ONLINE:
			text = "Online"
			look = &"AccentLabel"
		ClickSync.State.SYNCING:
			text = "Syncing..."
			look = &"HintLabel"
		ClickSync.State.OFFLINE:
			text = "Offline - %d taps saved" % _sync.unconfirmed()
	_status.text = text
	# Runs on every tap: restyle only when the look really changes.
	if _status.theme_type_variation != look:
		_status.theme_type_variation = look


## Polls the leaderboard only while this screen is shown and the player is here.
func _update_polling() -> void:
	var polling := is_visible_in_tree() and _activity.is_active
	if polling and _refresh_timer.is_stopped():
		_refresh()
		_refresh_timer.start()
	elif not polling:
		_refresh_timer.stop()


func _refresh() -> void:
	if _refreshing:
		return
	_refreshing = true
	var response: ApiResponse = await Api.fetch_leaderboard()
	_refreshing = false
	if response.is_ok():
		var board := ApiModels.Board.new(response.data)
		_rank = board.me.rank
		_sync.note_total(board.total_clicks)
