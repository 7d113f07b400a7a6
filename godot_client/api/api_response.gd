class_name ApiResponse
extends RefCounted
## One reply from the API: the HTTP status, the declared fields of the body, or the error code.

## [member error_code] when no HTTP answer arrived (offline, timeout, DNS, TLS).
const NO_ANSWER := "no_answer"
## [member error_code] when a success reply did not carry the object the contract promises.
const BAD_BODY := "bad_body"

## HTTP status, 0 when the server was not reached.
var status: int = 0
## The reply object as ApiContract.read shaped it (empty for errors).
var data: Dictionary = {}
## The server's `error` code, [constant NO_ANSWER] or [constant BAD_BODY]; "" on success.
var error_code: String = ""
## Human sentence for the error (the server's `detail` when it sent one).
var detail: String = ""
## Seconds from the Retry-After header, or -1 when there was none.
var retry_after: float = -1.0


static func succeeded(body: Dictionary) -> ApiResponse:
	var response := ApiResponse.new()
	response.status = 200
	response.data = body
	return response


static func failed(code: String, message: String) -> ApiResponse:
	var response := ApiResponse.new()
	response.error_code = code
	response.detail = message
	return response


func is_ok() -> bool:
	return status >= 200 and status < 300 and error_code.is_empty()


func reached_server() -> bool:
	return status != 0
