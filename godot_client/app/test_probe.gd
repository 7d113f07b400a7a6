class_name TestProbe
extends Node
## Lets the real-engine tests (e2e/test_godot_*.py) read what the game shows, on the web only.
##
## Exists only when the page defined `window.clickgameProbe` before the engine started, which the
## tests' stand-in for Telegram does and no real page does. Ten times a second it writes a JSON
## snapshot to `window.clickgameProbe.state`: the screen shown, every named control's text,
## visibility and place on the page (CSS pixels, for taps), the leaderboard rows and the sync's
## numbers. Requests pushed to `window.clickgameProbe.requests` are answered in `.answers`.

const PUBLISH_EVERY_MSEC := 50

var _app: Control
var _screens: Control
var _boot: Control
var _sync: ClickSync
var _activity: ActivityMonitor
var _js: JavaScriptObject
var _published_at_msec := -PUBLISH_EVERY_MSEC


## The probe, or null when the page asked for none (always null outside the web).
static func attach_if_requested(
	app: Control, screens: Control, boot: Control, click_sync: ClickSync, activity: ActivityMonitor
) -> TestProbe:
	if not OS.has_feature("web"):
		return null
	var js: JavaScriptObject = JavaScriptBridge.get_interface("clickgameProbe")
	if js == null:
		return null
	var probe := TestProbe.new()
	probe._app = app
	probe._screens = screens
	probe._boot = boot
	probe._sync = click_sync
	probe._activity = activity
	probe._js = js
	app.add_child(probe)
	return probe


func _process(_delta: float) -> void:
	var now := Time.get_ticks_msec()
	if now - _published_at_msec < PUBLISH_EVERY_MSEC:
		return
	_published_at_msec = now
	_answer_requests()
	_js.set("state", JSON.stringify(snapshot()))


## What the game shows right now.
func snapshot() -> Dictionary:
	var controls := {}
	_collect(_app, controls)
	return {
		"screen": _shown_screen(),
		"controls": controls,
		"rows": _board_rows(),
		"sync":
		{
			"state": ClickSync.State.keys()[_sync.state],
			"server_clicks": _sync.server_clicks,
			"unconfirmed": _sync.unconfirmed(),
			"shown_clicks": _sync.shown_clicks(),
			"pause_left_msec": _sync.pause_left_msec(),
		},
		"active": _activity.is_active,
		"board_poll_msec": _board_poll_msec(),
		"msec": Time.get_ticks_msec(),
	}


## How often the leaderboard screen refreshes now (0 before it was first opened).
func _board_poll_msec() -> int:
	var timers := _screens.find_children("RefreshTimer", "Timer", true, false)
	if timers.is_empty():
		return 0
	return roundi((timers[0] as Timer).wait_time * 1000.0)


func _shown_screen() -> String:
	if _boot.visible:
		return "boot"
	for child: Node in _screens.get_children():
		if child is Control and (child as Control).visible:
			return str(child.name).to_lower()
	return ""


func _collect(node: Node, into: Dictionary) -> void:
	for child: Node in node.get_children():
		if child is BoardRow:
			continue
		if child is Control and child.unique_name_in_owner and child.owner != null:
			into["%s/%s" % [child.owner.name, child.name]] = _describe(child as Control)
		_collect(child, into)


func _describe(control: Control) -> Dictionary:
	var text: Variant = control.get("text")
	var to_page := control.get_viewport().get_final_transform()
	to_page *= control.get_global_transform_with_canvas()
	var top_left := to_page * Vector2.ZERO
	var bottom_right := to_page * control.size
	var css := 1.0 / float(JavaScriptBridge.eval("window.devicePixelRatio || 1", true))
	return {
		"text": str(text) if text != null else "",
		"visible": control.is_visible_in_tree(),
		"rect":
		[
			top_left.x * css,
			top_left.y * css,
			(bottom_right.x - top_left.x) * css,
			(bottom_right.y - top_left.y) * css,
		],
	}


## The leaderboard's lines from top to bottom: a row's cells, or the text between the parts.
func _board_rows() -> Array:
	var lines := []
	var found := _screens.find_children("*", "BoardRow", true, false)
	if found.is_empty():
		return lines
	for child: Node in found[0].get_parent().get_children():
		if child is BoardRow:
			var cells := {}
			for label: Node in child.find_children("*", "Label", true, false):
				cells[str(label.name).to_snake_case()] = (label as Label).text
			cells["me"] = (child as BoardRow).theme_type_variation == &"MyBoardRow"
			lines.append(cells)
		elif child is Control:
			var text: Variant = child.get("text")
			lines.append({"separator": str(text) if text != null else ""})
	return lines


func _answer_requests() -> void:
	var requests: JavaScriptObject = _js.get("requests")
	var answers: JavaScriptObject = _js.get("answers")
	if requests == null or answers == null:
		return
	while int(requests.get("length")) > 0:
		var request: Variant = JSON.parse_string(str(requests.call("shift")))
		if request is Dictionary:
			answers.call("push", JSON.stringify(_answer(request)))


## `board_lines`: the lines the leaderboard screen draws for a board (an API answer), with
## each share and click count as shown; `format`: share and click texts.
func _answer(request: Dictionary) -> Dictionary:
	var answer := {"id": request.get("id")}
	match str(request.get("kind", "")):
		"board_lines":
			var board := ApiModels.Board.new(ApiContract.read("Board", request.get("board")))
			var lines := []
			for line: Dictionary in LeaderboardScreen.board_lines(board):
				lines.append(_line_shown(line))
			answer["lines"] = lines
		"format":
			var shares := []
			for share: Variant in request.get("shares", []):
				shares.append(NumberFormat.percent(float(share)))
			var clicks := []
			for count: Variant in request.get("clicks", []):
				clicks.append(NumberFormat.grouped(int(count)))
			answer["shares"] = shares
			answer["clicks"] = clicks
		_:
			answer["error"] = "unknown request"
	return answer


static func _line_shown(line: Dictionary) -> Variant:
	if not line.has("entry"):
		return LeaderboardScreen.GAP_TEXT
	var entry: ApiModels.BoardEntry = line["entry"]
	return {
		"rank": entry.rank,
		"name": entry.game_name,
		"clicks": NumberFormat.grouped(entry.clicks),
		"share": NumberFormat.percent(entry.share),
		"me": line["me"],
	}
