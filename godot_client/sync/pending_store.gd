class_name PendingStore
extends RefCounted
## Keeps a player's unsent taps, unconfirmed batch (seq, count, id) and next seq across launches.
##
## On the web the values go to the page's localStorage through JavaScriptBridge: it writes at
## once, while a user:// file reaches IndexedDB only on a later rendered frame, and a page being
## hidden or closed renders none. A keepalive batch the server applied would otherwise come back
## from an older saved state on the next launch and be counted twice under a new seq.
## Elsewhere the values live in user://click_sync.cfg. Best effort either way (a Telegram iframe
## may refuse storage): the server stays the source of truth.

const PATH := "user://click_sync.cfg"
const WEB_KEY_PREFIX := "clickgame.click_sync.player_"
## The values kept for each player, all non-negative integers (a batch id fits a double, so the
## web's JSON keeps it exactly).
const KEYS := ["pending", "batch_seq", "batch_count", "batch_id", "next_seq"]
# localStorage may throw (storage blocked in an iframe): both answer instead of failing.
const WEB_LOAD_JS := (
	"(() => { try { return localStorage.getItem(%s) }" + " catch (e) { return null } })()"
)
const WEB_SAVE_JS := (
	"(() => { try { localStorage.setItem(%s, %s); return 1 }" + " catch (e) { return 0 } })()"
)

var _warned := false


## True when a save is written at once and costs little (the web's localStorage), so the sync may
## save after every tap.
func saves_at_once() -> bool:
	return OS.has_feature("web")


## The saved values for [param player_id]; zeros when nothing (readable) was saved.
func load_for(player_id: int) -> Dictionary:
	var saved: Dictionary = _web_load(player_id) if saves_at_once() else _file_load(player_id)
	var values := {}
	for key: String in KEYS:
		var value: Variant = saved.get(key, 0)
		values[key] = maxi(int(value), 0) if value is int or value is float else 0
	return values


func save_for(player_id: int, values: Dictionary) -> void:
	var clean := {}
	for key: String in KEYS:
		clean[key] = int(values.get(key, 0))
	var error := _web_save(player_id, clean) if saves_at_once() else _file_save(player_id, clean)
	if error != OK and not _warned:
		_warned = true
		push_warning(
			"Unsent taps cannot be saved (%s); they live in memory only." % error_string(error)
		)


func _web_load(player_id: int) -> Dictionary:
	var raw: Variant = JavaScriptBridge.eval(
		WEB_LOAD_JS % JSON.stringify(_web_key(player_id)), true
	)
	var json := JSON.new()
	if not (raw is String) or json.parse(raw) != OK:
		return {}
	return json.data if json.data is Dictionary else {}


func _web_save(player_id: int, values: Dictionary) -> Error:
	var key := JSON.stringify(_web_key(player_id))
	var value := JSON.stringify(JSON.stringify(values))
	var stored: Variant = JavaScriptBridge.eval(WEB_SAVE_JS % [key, value], true)
	return OK if (stored is int or stored is float) and int(stored) == 1 else ERR_UNAVAILABLE


func _file_load(player_id: int) -> Dictionary:
	var config := ConfigFile.new()
	var values := {}
	if config.load(PATH) == OK:
		for key: String in KEYS:
			values[key] = config.get_value(_section(player_id), key, 0)
	return values


func _file_save(player_id: int, values: Dictionary) -> Error:
	var config := ConfigFile.new()
	# Keep other players' sections (a shared device); a missing file simply starts empty.
	if FileAccess.file_exists(PATH) and config.load(PATH) != OK:
		config.clear()
	for key: String in KEYS:
		config.set_value(_section(player_id), key, values[key])
	return config.save(PATH)


static func _web_key(player_id: int) -> String:
	return WEB_KEY_PREFIX + str(player_id)


static func _section(player_id: int) -> String:
	return "player_%d" % player_id
