class_name LeaderboardScreen
extends Control
## The leaderboard: the top 5 with their shares, a separator, then the player's own place with
## the players around them, the player's row highlighted. Refreshes while it is shown and the
## player is here.

## The player asked to go back (the in-game button; Telegram's back button goes through App).
signal closed

const BOARD_ROW := preload("res://screens/board_row.tscn")
const GAP_TEXT := "…"
## Never refresh more often than this, whatever an answer says.
const MIN_POLL_SECONDS := 5.0

var _activity: ActivityMonitor
var _refreshing := false
var _has_board := false

@onready var _back_button: Button = %BackButton
@onready var _summary: Label = %Summary
@onready var _status: Label = %Status
@onready var _rows: VBoxContainer = %Rows
@onready var _refresh_timer: Timer = %RefreshTimer


## Hands the screen what tells it whether the player is here; call before adding it to the tree.
func setup(activity: ActivityMonitor) -> void:
	_activity = activity


func _ready() -> void:
	# Inside Telegram its own back button is used; a browser tab or the editor needs ours.
	_back_button.visible = not Telegram.has_back_button()
	_back_button.pressed.connect(_on_back_button_pressed)
	_activity.became_active.connect(_update_polling)
	_activity.became_inactive.connect(_update_polling)
	visibility_changed.connect(_update_polling)
	_refresh_timer.timeout.connect(_refresh)
	_update_polling()


func _on_back_button_pressed() -> void:
	closed.emit()


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
	if not _has_board:
		_show_status("Loading...")
	var response: ApiResponse = await Api.fetch_leaderboard()
	_refreshing = false
	if response.is_ok():
		_status.hide()
		var board := ApiModels.Board.new(response.data)
		_follow_poll_interval(board.poll_interval_ms)
		_show_board(board)
	elif _has_board:
		_show_status("Offline: this is the last board we saw.")
	else:
		_show_status("The leaderboard can't be loaded right now. It retries by itself.")


## The server paces the polling: the next refresh comes as long after this answer as it asked.
func _follow_poll_interval(poll_interval_ms: int) -> void:
	var seconds := maxf(MIN_POLL_SECONDS, poll_interval_ms / 1000.0)
	if _refresh_timer.is_stopped():
		_refresh_timer.wait_time = seconds
	else:
		_refresh_timer.start(seconds)


func _show_board(board: ApiModels.Board) -> void:
	_has_board = true
	_summary.text = (
		"%s, %s together"
		% [
			NumberFormat.counted(board.total_players, "player", "players"),
			NumberFormat.counted(board.total_clicks, "click", "clicks"),
		]
	)
	for child: Node in _rows.get_children():
		_rows.remove_child(child)
		child.queue_free()
	for line: Dictionary in board_lines(board):
		if line.has("entry"):
			_add_row(line["entry"], line["me"])
		else:
			_rows.add_child(_gap_line())


## The board's lines in order, by the rule every client follows (docs/architecture.md, "How
## every client shows the board"): each `top` entry, then, when `around` is not empty, a gap
## line if places are skipped (around[0].rank > number of top rows + 1) and each `around` entry.
## An entry line is {"entry": BoardEntry, "me": true for board.me's player}; a gap is {}.
static func board_lines(board: ApiModels.Board) -> Array[Dictionary]:
	var lines: Array[Dictionary] = []
	for entry: ApiModels.BoardEntry in board.top:
		lines.append({"entry": entry, "me": entry.player_id == board.me.player_id})
	if not board.around.is_empty():
		if board.around[0].rank > board.top.size() + 1:
			lines.append({})
		for entry: ApiModels.BoardEntry in board.around:
			lines.append({"entry": entry, "me": entry.player_id == board.me.player_id})
	return lines


func _add_row(entry: ApiModels.BoardEntry, is_me: bool) -> void:
	var row: BoardRow = BOARD_ROW.instantiate()
	_rows.add_child(row)
	row.show_entry(entry, is_me)


## The "…" between the top and the player's part of the board.
static func _gap_line() -> Label:
	var gap := Label.new()
	gap.text = GAP_TEXT
	gap.horizontal_alignment = HORIZONTAL_ALIGNMENT_CENTER
	gap.theme_type_variation = &"HintLabel"
	return gap


func _show_status(message: String) -> void:
	_status.text = message
	_status.show()
