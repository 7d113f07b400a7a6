class_name NumberFormat
extends RefCounted
## How numbers read on screen: "1,234,567" clicks and "12.3%" shares.


## [param value] with a comma between each group of three digits.
static func grouped(value: int) -> String:
	var digits := str(absi(value))
	var groups := PackedStringArray()
	while digits.length() > 3:
		groups.insert(0, digits.right(3))
		digits = digits.left(digits.length() - 3)
	groups.insert(0, digits)
	return ("-" if value < 0 else "") + ",".join(groups)


## "1 player", "2 players", "1,000 clicks": the grouped number with the word that fits it.
static func counted(value: int, singular: String, plural: String) -> String:
	return "%s %s" % [grouped(value), singular if absi(value) == 1 else plural]


## A percent with as many decimals as a small share needs: "42%", "3.1%", "0.042%", "<0.001%".
static func percent(value: float) -> String:
	if value <= 0.0:
		return "0%"
	if value >= 10.0:
		return "%d%%" % roundi(value)
	if value >= 1.0:
		return "%.1f%%" % value
	if value >= 0.01:
		return "%.2f%%" % value
	if value >= 0.001:
		return "%.3f%%" % value
	return "<0.001%"
