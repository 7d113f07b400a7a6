extends Node
## HTTP client for the clickgame API: signs in, sends `Authorization: tma <initData>` with every
## request and turns replies into ApiResponse objects shaped by ApiContract.
##
## On the web the game is served by the API, so requests go to the page's own origin. Elsewhere
## (editor F5, desktop) the base URL is the project setting clickgame/api/base_url, overridden by
## the CLICKGAME_API_URL environment variable or a `--api-url=` user argument, and the initData
## comes from the backend's dev sign-in (DEBUG backends only), so the same auth path runs.

## The server ended the session for good: initData refused (401) or the player banned (403).
signal session_ended(code: String, detail: String)

const BASE_URL_SETTING := "clickgame/api/base_url"
const TIMEOUT_SETTING := "clickgame/api/timeout_seconds"
const DEV_USER_SETTING := "clickgame/dev/user_name"
const DEFAULT_BASE_URL := "http://127.0.0.1:8000"
const DEFAULT_TIMEOUT_SECONDS := 10.0
const DEFAULT_DEV_USER := "Godot Dev"

## Scheme, host and port requests go to, without a trailing slash.
var base_url := ""
var _init_data := ""
var _signed_in_by_dev := false
var _timeout_seconds := DEFAULT_TIMEOUT_SECONDS
var _dev_user := DEFAULT_DEV_USER
# Browser fetches in progress; finished ones are dropped when the next one starts.
var _browser_requests: Array[BrowserFetch] = []


func _ready() -> void:
	base_url = _resolve_base_url()
	_timeout_seconds = float(ProjectSettings.get_setting(TIMEOUT_SETTING, DEFAULT_TIMEOUT_SECONDS))
	var dev_user := str(ProjectSettings.get_setting(DEV_USER_SETTING, DEFAULT_DEV_USER))
	_dev_user = _override("CLICKGAME_DEV_USER", "--dev-user=", dev_user)


## Gets the initData every request carries: Telegram's own inside Telegram, otherwise a signed
## one from the backend's dev sign-in.
func sign_in() -> ApiResponse:
	_init_data = Telegram.init_data()
	if not _init_data.is_empty():
		_signed_in_by_dev = false
		return ApiResponse.succeeded({})
	return await _dev_sign_in()


func fetch_me() -> ApiResponse:
	return await _call_endpoint("me", {})


func set_game_name(game_name: String) -> ApiResponse:
	return await _call_endpoint("set_game_name", {"game_name": game_name})


## Sends a click batch; [param batch_id] (0: none) is the same on every attempt of the batch.
## [param urgent]: the page is being hidden, so on the web the request goes out through the
## browser at once instead of on the engine's next frame (see BrowserFetch).
func sync_clicks(seq: int, count: int, batch_id: int, urgent := false) -> ApiResponse:
	var body := {"seq": seq, "count": count}
	if batch_id > 0:
		body["batch"] = batch_id
	return await _call_endpoint("sync_clicks", body, urgent)


func fetch_leaderboard() -> ApiResponse:
	return await _call_endpoint("leaderboard", {})


func _dev_sign_in() -> ApiResponse:
	var response: ApiResponse = await _send("dev_init_data", {"name": _dev_user}, false)
	if response.is_ok():
		_init_data = ApiModels.DevSignIn.new(response.data).init_data
		_signed_in_by_dev = true
	return response


func _call_endpoint(endpoint_name: String, body: Dictionary, urgent := false) -> ApiResponse:
	var response: ApiResponse = await _send(endpoint_name, body, true, urgent)
	if response.status == 401 and _signed_in_by_dev:
		# Dev initData expires like Telegram's: sign in again once and repeat the request
		# (safe for every endpoint: a refused request changed nothing, and seq makes syncs
		# idempotent).
		var signed_in: ApiResponse = await _dev_sign_in()
		if signed_in.is_ok():
			response = await _send(endpoint_name, body, true, urgent)
	var ends_session := response.status == 401 or response.status == 403
	if ends_session and response.error_code in ApiContract.session_error_codes():
		session_ended.emit(response.error_code, response.detail)
	return response


func _send(
	endpoint_name: String, body: Dictionary, with_auth: bool, urgent := false
) -> ApiResponse:
	var method := ApiContract.http_method(endpoint_name)
	var url := base_url + ApiContract.path(endpoint_name)
	var headers := {"Accept": "application/json"}
	if with_auth:
		headers["Authorization"] = "tma " + _init_data
	var payload := ""
	if method == HTTPClient.METHOD_POST:
		headers["Content-Type"] = "application/json"
		payload = JSON.stringify(body)
	var completed: Array
	if urgent and OS.has_feature("web"):
		completed = await _send_from_browser(url, method, headers, payload)
	else:
		completed = await _send_from_engine(url, method, headers, payload)
	return _response_from(endpoint_name, completed[0], completed[1], completed[2], completed[3])


## HTTPRequest's `request_completed` arguments for one request.
func _send_from_engine(
	url: String, method: HTTPClient.Method, headers: Dictionary, payload: String
) -> Array:
	var header_lines := PackedStringArray()
	for header_name: String in headers:
		header_lines.append("%s: %s" % [header_name, headers[header_name]])
	var http := HTTPRequest.new()
	http.timeout = _timeout_seconds
	# In the browser, fetch() negotiates compression and hands over the body already decompressed
	# (the Content-Encoding header stays), so Godot must not try to decompress it again.
	http.accept_gzip = not OS.has_feature("web")
	add_child(http)
	var error := http.request(url, header_lines, method, payload)
	if error != OK:
		http.queue_free()
		push_warning("A request to %s could not start: %s" % [url, error_string(error)])
		return [HTTPRequest.RESULT_CANT_CONNECT, 0, PackedStringArray(), PackedByteArray()]
	var completed: Array = await http.request_completed
	http.queue_free()
	return completed


## The same, sent by the browser's fetch() at once (web export only).
func _send_from_browser(
	url: String, method: HTTPClient.Method, headers: Dictionary, payload: String
) -> Array:
	var running: Array[BrowserFetch] = []
	for earlier: BrowserFetch in _browser_requests:
		if not earlier.finished:
			running.append(earlier)
	_browser_requests = running
	var request := BrowserFetch.new()
	_browser_requests.append(request)
	var verb := "POST" if method == HTTPClient.METHOD_POST else "GET"
	request.start(url, verb, headers, payload, _timeout_seconds)
	return await request.completed


func _response_from(
	endpoint_name: String,
	result: int,
	status: int,
	headers: PackedStringArray,
	body: PackedByteArray,
) -> ApiResponse:
	if result != HTTPRequest.RESULT_SUCCESS:
		return ApiResponse.failed(ApiResponse.NO_ANSWER, "No answer from the game server.")
	var response := ApiResponse.new()
	response.status = status
	response.retry_after = _retry_after_seconds(headers)
	var json := JSON.new()
	var parsed: Variant = json.data if json.parse(body.get_string_from_utf8()) == OK else null
	if response.is_ok():
		var type_name := ApiContract.response_type(endpoint_name, status)
		if type_name.is_empty() or not (parsed is Dictionary):
			response.error_code = ApiResponse.BAD_BODY
			response.detail = "The game server sent an unexpected reply."
		else:
			response.data = ApiContract.read(type_name, parsed)
		return response
	var error_body := ApiModels.ErrorBody.new(ApiContract.read("ErrorBody", parsed))
	response.error_code = error_body.code if not error_body.code.is_empty() else "http_%d" % status
	response.detail = error_body.detail
	return response


func _resolve_base_url() -> String:
	var origin: String = Telegram.page_origin()
	if not origin.is_empty():
		return origin
	var configured := str(ProjectSettings.get_setting(BASE_URL_SETTING, DEFAULT_BASE_URL))
	return _override("CLICKGAME_API_URL", "--api-url=", configured).trim_suffix("/")


## Seconds from a Retry-After header (the delay form; the server never sends a date), or -1.
static func _retry_after_seconds(headers: PackedStringArray) -> float:
	for header: String in headers:
		if header.to_lower().begins_with("retry-after:"):
			var value := header.get_slice(":", 1).strip_edges()
			if value.is_valid_float():
				return maxf(value.to_float(), 0.0)
	return -1.0


## A `--name=value` user argument (after `--` on the command line), else an environment
## variable, else the fallback.
static func _override(env_name: String, arg_prefix: String, fallback: String) -> String:
	for arg: String in OS.get_cmdline_user_args():
		if arg.begins_with(arg_prefix):
			return arg.trim_prefix(arg_prefix)
	var from_env := OS.get_environment(env_name)
	return from_env if not from_env.is_empty() else fallback
