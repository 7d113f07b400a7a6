class_name OnboardingScreen
extends Control
## First launch, and after a moderator rejects a name: choose the public game name.
##
## The form sits at the top of the screen, where a phone keyboard rising from the bottom does not
## cover it (the web export turns on Godot's virtual keyboard support for the field).

signal name_saved(profile: ApiModels.Profile)

const SAVE_TEXT := "Start playing"
## Friendly words for the server's error codes; every code in the API contract has one.
const MESSAGES := {
	"too_short": "That name is too short: use at least %d characters.",
	"too_long": "That name is too long: use at most %d characters.",
	"invalid_chars":
	"Use Latin, Greek, Cyrillic or Hebrew letters, digits, spaces and _ - . only, with a letter.",
	"taken": "Someone already plays under that name. Try another one.",
	"blocked": "That name is not allowed. Please pick another one.",
	"rate_limited": "You changed your name several times just now. Try again in %s.",
}

var _profile: ApiModels.Profile
var _saving := false

@onready var _rejected_note: Label = %RejectedNote
@onready var _name_field: LineEdit = %NameField
@onready var _error: Label = %Error
@onready var _save_button: Button = %SaveButton


## Hands the screen the player's profile; call before adding it to the tree.
func setup(profile: ApiModels.Profile) -> void:
	_profile = profile


func _ready() -> void:
	var rejected := _profile.name_status == "rejected"
	_rejected_note.visible = rejected
	_name_field.max_length = ApiContract.name_rule("max_length")
	_name_field.text = "" if rejected else _profile.game_name
	_name_field.text_submitted.connect(_on_name_field_text_submitted)
	_name_field.text_changed.connect(_on_name_field_text_changed)
	_save_button.pressed.connect(_submit)
	if not OS.has_feature("web"):
		# On the web the keyboard opens only from the player's own tap on the field.
		_name_field.grab_focus()


func _submit() -> void:
	if _saving:
		return
	var game_name := _name_field.text.strip_edges()
	var min_length := ApiContract.name_rule("min_length")
	if game_name.length() < min_length:
		_show_error(MESSAGES["too_short"] % min_length)
		return
	_saving = true
	_save_button.disabled = true
	_save_button.text = "Saving..."
	_error.hide()
	var response: ApiResponse = await Api.set_game_name(game_name)
	_saving = false
	_save_button.disabled = false
	_save_button.text = SAVE_TEXT
	if response.is_ok():
		_name_field.release_focus()
		name_saved.emit(ApiModels.Profile.new(response.data))
	else:
		_show_error(_message_for(response))


func _message_for(response: ApiResponse) -> String:
	var code := response.error_code
	var message: String = MESSAGES.get(code, "")
	if code == "too_short":
		message = message % ApiContract.name_rule("min_length")
	elif code == "too_long":
		message = message % ApiContract.name_rule("max_length")
	elif code == "rate_limited":
		message = message % _wait_text(response.retry_after)
	elif code == ApiResponse.NO_ANSWER:
		message = "No connection to the game server. Check your internet and try again."
	elif message.is_empty() and not response.detail.is_empty():
		message = response.detail
	elif message.is_empty():
		message = "Something went wrong. Please try again."
	return message


func _show_error(message: String) -> void:
	_error.text = message
	_error.show()


func _on_name_field_text_submitted(_text: String) -> void:
	_submit()


func _on_name_field_text_changed(_text: String) -> void:
	_error.hide()


static func _wait_text(seconds: float) -> String:
	if seconds <= 0.0:
		return "a little while"
	if seconds < 90.0:
		return "%d seconds" % ceili(seconds)
	return "%d minutes" % ceili(seconds / 60.0)
