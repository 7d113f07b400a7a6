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


## A share (a percent, 0 to 100) as every client shows it (docs/architecture.md, "How every
## client shows the board"): "0%", "<0.01%", two decimals below 1 ("0.42%"), one from 1 on
## ("12.3%"); the decimals are picked from the unrounded share and rounded half up.
static func percent(value: float) -> String:
	if not value > 0.0:
		return "0%"
	if value < 0.01:
		return "<0.01%"
	var decimals := 2 if value < 1.0 else 1
	var scale := 100 if decimals == 2 else 10
	var scaled := int(floor(value * scale + 0.5))
	var whole := floori(scaled / float(scale))
	return "%d.%s%%" % [whole, str(scaled % scale).pad_zeros(decimals)]
