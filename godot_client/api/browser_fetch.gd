class_name BrowserFetch
extends RefCounted
## One HTTP request made by the browser's fetch() with `keepalive`, for the moment the page is
## being hidden (web export only).
##
## Godot's HTTPRequest sends on the next engine frame, and a hidden page draws no more frames, so
## taps flushed on `deactivated` would wait for the player to come back. fetch() starts at once and
## `keepalive` lets it finish even if the page is closed. [signal completed] has the arguments of
## HTTPRequest.request_completed, so replies are read the same way.

signal completed(result: int, status: int, headers: PackedStringArray, body: PackedByteArray)

## True once [signal completed] was emitted; the owner may drop the request then.
var finished := false

# Callbacks handed to JavaScript live only as long as these references (see JavaScriptBridge).
var _callbacks: Array[JavaScriptObject] = []
var _status := 0
var _headers := PackedStringArray()
var _abort: JavaScriptObject
var _timeout_id: Variant


## Starts the request; it fails as "no answer" when no reply arrived after [param timeout_seconds]
## (a hung request would otherwise hold the sync's one batch in flight forever).
func start(
	url: String, method: String, headers: Dictionary, body: String, timeout_seconds: float
) -> void:
	var js_headers: JavaScriptObject = JavaScriptBridge.create_object("Object")
	for header_name: String in headers:
		js_headers.set(header_name, headers[header_name])
	var options: JavaScriptObject = JavaScriptBridge.create_object("Object")
	options.set("method", method)
	options.set("headers", js_headers)
	options.set("keepalive", true)
	if method != "GET":
		options.set("body", body)
	_abort = JavaScriptBridge.create_object("AbortController")
	options.set("signal", _abort.get("signal"))
	var window: JavaScriptObject = JavaScriptBridge.get_interface("window")
	var timeout_msec := maxi(int(timeout_seconds * 1000.0), 1)
	_timeout_id = window.call("setTimeout", _keep(_on_timeout), timeout_msec)
	var promise: JavaScriptObject = window.call("fetch", url, options)
	promise.call("then", _keep(_on_response), _keep(_on_failure))


func _keep(handler: Callable) -> JavaScriptObject:
	var callback: JavaScriptObject = JavaScriptBridge.create_callback(handler)
	_callbacks.append(callback)
	return callback


func _on_response(args: Array) -> void:
	var response: JavaScriptObject = args[0]
	_status = int(response.get("status"))
	var response_headers: JavaScriptObject = response.get("headers")
	var retry_after: Variant = response_headers.call("get", "Retry-After")
	if retry_after is String:
		_headers.append("Retry-After: " + retry_after)
	var text: JavaScriptObject = response.call("text")
	text.call("then", _keep(_on_text), _keep(_on_failure))


# The reply is handed over on the engine's next frame, outside the JavaScript callback: the
# callbacks may only be released once JavaScript is done calling them.
func _on_text(args: Array) -> void:
	var body := str(args[0]).to_utf8_buffer()
	_finish.call_deferred(HTTPRequest.RESULT_SUCCESS, _status, _headers, body)


func _on_failure(_args: Array) -> void:
	var no_answer := HTTPRequest.RESULT_CANT_CONNECT
	_finish.call_deferred(no_answer, 0, PackedStringArray(), PackedByteArray())


# The browser's timer ran out first: abort, and the fetch fails through _on_failure.
func _on_timeout(_args: Array) -> void:
	if not finished:
		_abort.call("abort")


func _finish(result: int, status: int, headers: PackedStringArray, body: PackedByteArray) -> void:
	if finished:
		return
	var window: JavaScriptObject = JavaScriptBridge.get_interface("window")
	window.call("clearTimeout", _timeout_id)
	_callbacks.clear()
	finished = true
	completed.emit(result, status, headers, body)
