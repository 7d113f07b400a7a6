class_name ApiModels
extends RefCounted
## Typed views of the API's JSON objects, built from dictionaries that ApiContract.read shaped.
##
## Each class reads exactly the fields res://api/contract.json declares for the object of the same
## name (a Python test holds the two together), so the contract lists every field the game uses.


class Profile:
	var id: int
	## "" when the player has not chosen a name yet.
	var game_name: String
	var public_name: String
	## "pending", "approved" or "rejected".
	var name_status: String
	var needs_name: bool
	var clicks: int
	## The last click batch the server applied.
	var seq: int
	## How this server wants clicks synced.
	var limits: SyncLimits

	func _init(data: Dictionary) -> void:
		id = data["id"]
		var raw_name: Variant = data["game_name"]
		game_name = raw_name if raw_name is String else ""
		public_name = data["public_name"]
		name_status = data["name_status"]
		needs_name = data["needs_name"]
		clicks = data["clicks"]
		seq = data["seq"]
		limits = SyncLimits.new(data["limits"])


## The click sync limits the server gives every client (one source of truth for both clients).
class SyncLimits:
	var max_clicks_per_sync: int
	var min_sync_interval_ms: int
	var max_backoff_ms: int

	func _init(data: Dictionary) -> void:
		max_clicks_per_sync = data["max_clicks_per_sync"]
		min_sync_interval_ms = data["min_sync_interval_ms"]
		max_backoff_ms = data["max_backoff_ms"]


class SyncResult:
	var accepted: int
	## Clicks over the anti-cheat cap; they are not counted.
	var rejected: int
	## True when the server had applied this seq before (a re-send after a lost reply).
	var duplicate: bool
	## True when that seq was applied with this very batch (same batch id): its taps are counted.
	var same_batch: bool
	var seq: int
	var clicks: int
	var total_clicks: int
	var sync_interval_ms: int

	func _init(data: Dictionary) -> void:
		accepted = data["accepted"]
		rejected = data["rejected"]
		duplicate = data["duplicate"]
		same_batch = data["same_batch"]
		seq = data["seq"]
		clicks = data["clicks"]
		total_clicks = data["total_clicks"]
		sync_interval_ms = data["sync_interval_ms"]


class BoardEntry:
	var rank: int
	var player_id: int
	var game_name: String
	var clicks: int
	## Percent of all clicks.
	var share: float

	func _init(data: Dictionary) -> void:
		rank = data["rank"]
		player_id = data["player_id"]
		game_name = data["game_name"]
		clicks = data["clicks"]
		share = data["share"]


class Board:
	var total_clicks: int
	var total_players: int
	var top: Array[BoardEntry] = []
	var around: Array[BoardEntry] = []
	var me: BoardEntry
	## Ask for the board again after this long (longer when the server is busy or degraded).
	var poll_interval_ms: int

	func _init(data: Dictionary) -> void:
		total_clicks = data["total_clicks"]
		total_players = data["total_players"]
		poll_interval_ms = data["poll_interval_ms"]
		for item: Dictionary in data["top"]:
			top.append(BoardEntry.new(item))
		for item: Dictionary in data["around"]:
			around.append(BoardEntry.new(item))
		me = BoardEntry.new(data["me"])


class DevSignIn:
	var init_data: String

	func _init(data: Dictionary) -> void:
		init_data = data["init_data"]


class ErrorBody:
	## The server's error code (`error`), e.g. "taken" or "rate_limited".
	var code: String
	var detail: String

	func _init(data: Dictionary) -> void:
		code = data["error"]
		detail = data["detail"]
