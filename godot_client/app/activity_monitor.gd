class_name ActivityMonitor
extends Node
## Decides when the player is away: no input for IDLE_SECONDS, or the app sent to the background.
##
## While away, screens stop polling the server; the "tap to continue" overlay calls [method resume].
## Nothing is lost meanwhile: taps already made are flushed when the player goes away.

signal became_inactive
signal became_active

const IDLE_SECONDS := 60.0

var is_active := true
var _idle_timer := Timer.new()


func _ready() -> void:
	_idle_timer.one_shot = true
	_idle_timer.wait_time = IDLE_SECONDS
	_idle_timer.timeout.connect(go_inactive)
	add_child(_idle_timer)
	_idle_timer.start()
	Telegram.deactivated.connect(go_inactive)


func _input(event: InputEvent) -> void:
	# Any touch, click or key counts as presence; while away, only the overlay brings the game back.
	var is_press_event := (
		event is InputEventScreenTouch or event is InputEventMouseButton or event is InputEventKey
	)
	if is_press_event and event.is_pressed() and is_active:
		_idle_timer.start()


func go_inactive() -> void:
	if not is_active:
		return
	is_active = false
	_idle_timer.stop()
	became_inactive.emit()


func resume() -> void:
	if is_active:
		return
	is_active = true
	_idle_timer.start()
	became_active.emit()
