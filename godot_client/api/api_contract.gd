class_name ApiContract
extends RefCounted
## The endpoints the client calls and the response fields it reads, from res://api/contract.json.
##
## Every reply passes through [method read], so only declared fields, converted to their declared
## types, reach the game. A Python test checks the contract against the server's OpenAPI schema.

const CONTRACT := preload("res://api/contract.json")


## The contract entry of an endpoint (method, path, request and responses).
static func endpoint(endpoint_name: String) -> Dictionary:
	var data: Dictionary = CONTRACT.data
	var endpoints: Dictionary = data["endpoints"]
	if endpoints.has(endpoint_name):
		return endpoints[endpoint_name]
	var dev_endpoints: Dictionary = data["dev_endpoints"]
	assert(dev_endpoints.has(endpoint_name), "No endpoint %s in the contract." % endpoint_name)
	return dev_endpoints[endpoint_name]


static func path(endpoint_name: String) -> String:
	return str(endpoint(endpoint_name)["path"])


static func http_method(endpoint_name: String) -> HTTPClient.Method:
	if str(endpoint(endpoint_name)["method"]) == "POST":
		return HTTPClient.METHOD_POST
	return HTTPClient.METHOD_GET


## The object type an endpoint answers with for an HTTP status, or "" when none is declared.
static func response_type(endpoint_name: String, status: int) -> String:
	var responses: Dictionary = endpoint(endpoint_name)["responses"]
	return str(responses.get(str(status), ""))


## Error codes the server may send with a 401 or 403 that end the session.
static func session_error_codes() -> PackedStringArray:
	var data: Dictionary = CONTRACT.data
	return PackedStringArray(data["session_error_codes"])


static func name_rule(rule: String) -> int:
	var data: Dictionary = CONTRACT.data
	var rules: Dictionary = data["name_rules"]
	return int(rules[rule])


## The object [param type_name] from [param value] with exactly the declared fields, each converted
## to its declared type; a missing or mistyped field becomes its type's zero value.
static func read(type_name: String, value: Variant) -> Dictionary:
	var data: Dictionary = CONTRACT.data
	var objects: Dictionary = data["objects"]
	var fields: Dictionary = objects[type_name]
	var source: Dictionary = value if value is Dictionary else {}
	var result := {}
	for field: String in fields:
		result[field] = _convert(str(fields[field]), source.get(field))
	return result


static func _convert(type_spec: String, value: Variant) -> Variant:
	var base := type_spec.trim_suffix("?")
	if typeof(value) == TYPE_NIL and type_spec.ends_with("?"):
		return null
	if base.ends_with("[]"):
		var items: Array = []
		if value is Array:
			for item: Variant in value:
				items.append(_convert(base.trim_suffix("[]"), item))
		return items
	match base:
		"integer":
			return int(value) if value is int or value is float else 0
		"number":
			return float(value) if value is int or value is float else 0.0
		"string":
			return value if value is String else ""
		"boolean":
			return value if value is bool else false
	return read(base, value)
