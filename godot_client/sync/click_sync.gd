class_name ClickSync
extends Node
## Counts taps at once and delivers them to POST /api/clicks in batches.
##
## Protocol: one batch in flight at a time; every new batch takes the next `seq` and a random
## batch id; a batch that failed is re-sent with the same `seq` and id (the server applies a seq
## once, and answers a resend of its own batch `same_batch`); the server's `sync_interval_ms`
## paces batches, `Retry-After` pauses them, other failures back off exponentially with jitter.
## The shown count is the server's plus everything not yet confirmed, so tapping never waits for
## the network, and it follows the server when clicks are rejected.

## The shown clicks or totals changed.
signal counts_changed
signal state_changed(state: State)

## ONLINE: everything confirmed. SYNCING: taps on their way. OFFLINE: the last attempt failed and
## taps wait (saved) for the next one. STOPPED: not started, or the session ended.
enum State { ONLINE, SYNCING, OFFLINE, STOPPED }

## Pause before the first batch, until the server says how often to sync.
const FIRST_INTERVAL_MS := 1000
const BACKOFF_BASE_SECONDS := 1.0
## Unsent taps are written to a user:// file at most this often while tapping (and always on
## pause); on the web they go to localStorage after every tap.
const SAVE_EVERY_MSEC := 1000
## Batch ids are random in 1..2^53-1: every client, JavaScript too, holds them exactly.
const BATCH_ID_HIGH_MASK := 0x1FFFFF

var state: State = State.STOPPED
## The player's clicks as the server last confirmed them.
var server_clicks := 0
## Everybody's clicks as the server last reported them.
var total_clicks := 0

var _player_id := 0
var _pending := 0
var _batch_seq := 0
var _batch_count := 0
# The unconfirmed batch's id, sent with every attempt of it (0: none, a batch saved without one).
var _batch_id := 0
# The unconfirmed batch may have been applied already: an attempt got no clear answer.
var _batch_maybe_applied := false
var _next_seq := 1
# The server's limits (GET /api/me `limits`): clicks per batch, the shortest interval between
# batches and the longest backoff. A refused batch may lower the batch size further.
var _max_batch := 1
var _min_interval_ms := FIRST_INTERVAL_MS
var _max_backoff_seconds := 30.0
var _interval_ms := FIRST_INTERVAL_MS
var _failures := 0
var _not_before_msec := 0
var _in_flight := false
var _saved_at_msec := 0
var _store := PendingStore.new()
var _timer := Timer.new()


func _ready() -> void:
	_timer.one_shot = true
	_timer.timeout.connect(_send)
	add_child(_timer)


func _notification(what: int) -> void:
	if what == NOTIFICATION_WM_CLOSE_REQUEST or what == NOTIFICATION_APPLICATION_PAUSED:
		_save()


## Starts syncing for a player, picking up what an earlier launch left unsent.
## [param last_seq] is the last batch the server applied (GET /api/me `seq`); [param limits] are
## the server's sync limits (GET /api/me `limits`).
func start(player_id: int, clicks: int, last_seq: int, limits: ApiModels.SyncLimits) -> void:
	_player_id = player_id
	_max_batch = maxi(limits.max_clicks_per_sync, 1)
	_min_interval_ms = maxi(limits.min_sync_interval_ms, 0)
	_max_backoff_seconds = maxf(limits.max_backoff_ms / 1000.0, BACKOFF_BASE_SECONDS)
	server_clicks = clicks
	var saved := _store.load_for(player_id)
	_pending = saved["pending"]
	if saved["batch_seq"] > last_seq:
		_batch_seq = saved["batch_seq"]
		_batch_count = saved["batch_count"]
		_batch_id = saved["batch_id"]
	else:
		# Applied before the app closed (its reply was lost): `clicks` already holds it.
		_batch_seq = 0
		_batch_count = 0
		_batch_id = 0
	_batch_maybe_applied = _batch_seq > 0
	_next_seq = maxi(saved["next_seq"], maxi(last_seq, _batch_seq) + 1)
	_not_before_msec = Time.get_ticks_msec() + FIRST_INTERVAL_MS
	_set_state(State.ONLINE)
	_update_state()
	counts_changed.emit()
	_schedule()


## Stops for good (session ended); unsent taps stay saved for the next launch.
func stop() -> void:
	_timer.stop()
	_save()
	_set_state(State.STOPPED)


func tap() -> void:
	if state == State.STOPPED:
		return
	_pending += 1
	_update_state()
	counts_changed.emit()
	if _store.saves_at_once() or Time.get_ticks_msec() - _saved_at_msec >= SAVE_EVERY_MSEC:
		_save()
	_schedule()


## Sends what is waiting now, ignoring the pacing: the app is going to the background, where
## browsers stop timers and frames (so on the web the batch leaves through the browser at once).
func flush() -> void:
	_save()
	if state != State.STOPPED and not _in_flight and unconfirmed() > 0:
		_timer.stop()
		_send(true)


## Everybody's total as another reply (the leaderboard) saw it. That reply may be older than
## the last sync's, so the larger number wins until the next sync sets the total again.
func note_total(total: int) -> void:
	total_clicks = maxi(total_clicks, total)
	counts_changed.emit()


## Taps the server has not confirmed yet (waiting or in flight).
func unconfirmed() -> int:
	return _pending + _batch_count


## Milliseconds until the next batch may leave (the server's interval or a backoff); 0 when due.
func pause_left_msec() -> int:
	return maxi(_not_before_msec - Time.get_ticks_msec(), 0)


func shown_clicks() -> int:
	return server_clicks + unconfirmed()


func shown_total() -> int:
	return maxi(total_clicks, server_clicks) + unconfirmed()


## The player's percent of all clicks, counting their unconfirmed taps on both sides.
func shown_share() -> float:
	var total := shown_total()
	return 100.0 * shown_clicks() / total if total > 0 else 0.0


## Seconds to wait after the [param failures]-th failure in a row: doubling from
## BACKOFF_BASE_SECONDS up to [param cap_seconds], then "equal jitter" ([param roll] in 0..1)
## so clients that failed together do not come back together.
static func backoff_seconds(failures: int, roll: float, cap_seconds: float) -> float:
	var doubled := BACKOFF_BASE_SECONDS * pow(2.0, maxi(failures, 1) - 1)
	var ceiling := minf(cap_seconds, doubled)
	return ceiling * (0.5 + 0.5 * clampf(roll, 0.0, 1.0))


## A new batch's id: random, never 0 (which means "none"), at most 2^53-1.
static func new_batch_id() -> int:
	return maxi(((randi() & BATCH_ID_HIGH_MASK) << 32) | randi(), 1)


func _schedule() -> void:
	if state == State.STOPPED or _in_flight or not _timer.is_stopped() or unconfirmed() == 0:
		return
	var wait_seconds := (_not_before_msec - Time.get_ticks_msec()) / 1000.0
	_timer.start(maxf(wait_seconds, 0.05))


func _send(urgent := false) -> void:
	if state == State.STOPPED or _in_flight:
		return
	if _batch_seq == 0:
		if _pending == 0:
			return
		_batch_count = mini(_pending, _max_batch)
		_pending -= _batch_count
		_batch_seq = _next_seq
		_batch_id = new_batch_id()
		_next_seq += 1
		_batch_maybe_applied = false
	_save()
	_in_flight = true
	_update_state()
	var response: ApiResponse = await Api.sync_clicks(_batch_seq, _batch_count, _batch_id, urgent)
	_in_flight = false
	_handle(response)
	_schedule()


func _handle(response: ApiResponse) -> void:
	if response.is_ok():
		_apply(ApiModels.SyncResult.new(response.data))
	elif response.status == 401 or response.status == 403:
		stop()
	elif response.status == 429:
		# Not a failure: the server asks for a pause, the batch waits with its seq.
		_pause(response.retry_after if response.retry_after > 0 else _interval_ms / 1000.0)
	elif response.status == 400:
		_refuse_batch()
	else:
		# No answer or a server error: the batch may or may not have been applied. Re-sending the
		# same seq is safe either way.
		_batch_maybe_applied = true
		_failures += 1
		_pause(
			maxf(backoff_seconds(_failures, randf(), _max_backoff_seconds), response.retry_after)
		)
	_update_state()


func _apply(result: ApiModels.SyncResult) -> void:
	# `same_batch`: this very batch was applied before, by an attempt whose answer never reached
	# the page (the browser may re-send a request by itself): it is counted, as if applied now.
	if result.duplicate and not result.same_batch and not _batch_maybe_applied:
		# This batch was never applied, yet its seq is taken (another device synced meanwhile):
		# keep the taps and send them again under the next free seq.
		_pending += _batch_count
	print_verbose(
		(
			"clicks sync seq=%d batch=%d accepted=%d rejected=%d duplicate=%s same_batch=%s"
			% [
				_batch_seq,
				_batch_id,
				result.accepted,
				result.rejected,
				result.duplicate,
				result.same_batch,
			]
		)
	)
	# Rejected clicks (over the anti-cheat cap) need nothing more: `clicks` is the server's
	# number, so the counter settles on it quietly.
	server_clicks = result.clicks
	total_clicks = result.total_clicks
	_batch_seq = 0
	_batch_count = 0
	_batch_id = 0
	_next_seq = maxi(_next_seq, result.seq + 1)
	_interval_ms = maxi(result.sync_interval_ms, _min_interval_ms)
	_failures = 0
	_pause(_interval_ms / 1000.0)
	_save()
	counts_changed.emit()


## A 400 means the server refused this batch as it is, and applied nothing of it: a batch above
## a lowered MAX_CLICKS_PER_SYNC (until the next reply brings the new limit), or a request the
## server could not read. Its taps go back to the waiting ones and leave again under a new seq
## (the server accepts a seq that skips ahead), in halves, after a backoff; none is dropped.
func _refuse_batch() -> void:
	if _batch_count > 1:
		_max_batch = maxi(floori(_batch_count / 2.0), 1)
	_pending += _batch_count
	_batch_count = 0
	_batch_seq = 0
	_batch_id = 0
	_failures += 1
	_pause(backoff_seconds(_failures, randf(), _max_backoff_seconds))
	_save()
	counts_changed.emit()


func _pause(seconds: float) -> void:
	_not_before_msec = Time.get_ticks_msec() + int(seconds * 1000.0)


func _save() -> void:
	if _player_id == 0:
		return
	_saved_at_msec = Time.get_ticks_msec()
	var values := {
		"pending": _pending,
		"batch_seq": _batch_seq,
		"batch_count": _batch_count,
		"batch_id": _batch_id,
		"next_seq": _next_seq,
	}
	_store.save_for(_player_id, values)


## Derives the shown state from the sync's progress; a stopped sync stays stopped until start().
func _update_state() -> void:
	if state == State.STOPPED:
		return
	if _failures > 0:
		_set_state(State.OFFLINE)
	elif unconfirmed() > 0:
		_set_state(State.SYNCING)
	else:
		_set_state(State.ONLINE)


func _set_state(new_state: State) -> void:
	if new_state != state:
		state = new_state
		state_changed.emit(new_state)
