class_name PendingStore
extends RefCounted
## Keeps a player's unsent taps, unconfirmed batch and next seq in user:// across launches.
##
## Best effort: on the web user:// lives in IndexedDB, which a Telegram iframe may not be allowed
## to use. Losing it costs at most the taps of one session; the server stays the source of truth.

const PATH := "user://click_sync.cfg"
## The values kept for each player, all non-negative integers.
const KEYS := ["pending", "batch_seq", "batch_count", "next_seq"]

var _warned := false


## The saved values for [param player_id]; zeros when nothing (readable) was saved.
func load_for(player_id: int) -> Dictionary:
	var config := ConfigFile.new()
	var readable := config.load(PATH) == OK
	var values := {}
	for key: String in KEYS:
		var saved: Variant = config.get_value(_section(player_id), key, 0) if readable else 0
		values[key] = maxi(int(saved), 0) if saved is int or saved is float else 0
	return values


func save_for(player_id: int, values: Dictionary) -> void:
	var config := ConfigFile.new()
	# Keep other players' sections (a shared device); a missing file simply starts empty.
	if FileAccess.file_exists(PATH) and config.load(PATH) != OK:
		config.clear()
	for key: String in KEYS:
		config.set_value(_section(player_id), key, int(values.get(key, 0)))
	var error := config.save(PATH)
	if error != OK and not _warned:
		_warned = true
		push_warning(
			"Unsent taps cannot be saved (%s); they live in memory only." % error_string(error)
		)


static func _section(player_id: int) -> String:
	return "player_%d" % player_id
