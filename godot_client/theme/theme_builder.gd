class_name ThemeBuilder
extends RefCounted
## Builds the Godot Theme every screen uses from a Palette, so Telegram's colours reach all of it.
##
## Scenes pick a look with `theme_type_variation` (for example "TapButton"); each variation is
## defined here and nowhere else.

const FONT_SIZE := 16
const RADIUS := 12

## Label variations: name -> [font size, palette colour].
const LABELS := {
	"TitleLabel": [22, "text"],
	"CounterLabel": [48, "text"],
	"HintLabel": [14, "hint"],
	"AccentLabel": [14, "accent"],
	"ErrorLabel": [14, "destructive"],
}


static func build(palette: Palette) -> Theme:
	var theme := Theme.new()
	theme.default_font_size = FONT_SIZE
	_add_labels(theme, palette)
	_add_buttons(theme, palette)
	_add_line_edit(theme, palette)
	_add_panels(theme, palette)
	return theme


static func _add_labels(theme: Theme, palette: Palette) -> void:
	theme.set_color("font_color", "Label", palette.text)
	for variation: String in LABELS:
		var look: Array = LABELS[variation]
		theme.set_type_variation(variation, "Label")
		theme.set_font_size("font_size", variation, look[0])
		theme.set_color("font_color", variation, palette.get(look[1]))


static func _add_buttons(theme: Theme, palette: Palette) -> void:
	_style_button(theme, "Button", palette.button, palette.button_text, RADIUS)
	theme.set_type_variation("SecondaryButton", "Button")
	_style_button(theme, "SecondaryButton", palette.secondary_bg, palette.link, RADIUS)
	theme.set_type_variation("TapButton", "Button")
	_style_button(theme, "TapButton", palette.button, palette.button_text, 1024)
	theme.set_font_size("font_size", "TapButton", 30)
	# The "tap to continue" layer: a veil of the background over the whole game.
	theme.set_type_variation("AwayOverlay", "Button")
	var veil := palette.bg
	veil.a = 0.92
	_style_button(theme, "AwayOverlay", veil, palette.text, 0)
	theme.set_font_size("font_size", "AwayOverlay", 22)


static func _style_button(
	theme: Theme, type_name: String, fill: Color, font: Color, radius: int
) -> void:
	theme.set_stylebox("normal", type_name, _box(fill, radius, 12))
	theme.set_stylebox("hover", type_name, _box(fill.lightened(0.06), radius, 12))
	theme.set_stylebox("pressed", type_name, _box(fill.darkened(0.18), radius, 12))
	theme.set_stylebox("hover_pressed", type_name, _box(fill.darkened(0.18), radius, 12))
	theme.set_stylebox("disabled", type_name, _box(fill.darkened(0.05), radius, 12))
	theme.set_stylebox("focus", type_name, StyleBoxEmpty.new())
	for color_name: String in ["font_color", "font_hover_color", "font_pressed_color"]:
		theme.set_color(color_name, type_name, font)
	theme.set_color("font_hover_pressed_color", type_name, font)
	theme.set_color("font_focus_color", type_name, font)
	var disabled := font
	disabled.a = 0.5
	theme.set_color("font_disabled_color", type_name, disabled)


static func _add_line_edit(theme: Theme, palette: Palette) -> void:
	var normal := _box(palette.secondary_bg, RADIUS, 14)
	var focus := _box(palette.secondary_bg, RADIUS, 14)
	focus.set_border_width_all(2)
	focus.border_color = palette.button
	theme.set_stylebox("normal", "LineEdit", normal)
	theme.set_stylebox("focus", "LineEdit", focus)
	theme.set_stylebox("read_only", "LineEdit", normal)
	theme.set_color("font_color", "LineEdit", palette.text)
	theme.set_color("font_placeholder_color", "LineEdit", palette.hint)
	theme.set_color("caret_color", "LineEdit", palette.button)
	var selection := palette.button
	selection.a = 0.35
	theme.set_color("selection_color", "LineEdit", selection)
	theme.set_font_size("font_size", "LineEdit", 18)


static func _add_panels(theme: Theme, palette: Palette) -> void:
	theme.set_type_variation("BoardRow", "PanelContainer")
	theme.set_stylebox("panel", "BoardRow", _box(palette.secondary_bg, 10, 10))
	# The player's own row: the button colour, softened, with an outline of it.
	theme.set_type_variation("MyBoardRow", "PanelContainer")
	var mine := palette.button
	mine.a = 0.22
	var my_row := _box(mine, 10, 10)
	my_row.set_border_width_all(2)
	my_row.border_color = palette.button
	theme.set_stylebox("panel", "MyBoardRow", my_row)
	var line := StyleBoxLine.new()
	line.color = palette.hint
	line.thickness = 1
	theme.set_stylebox("separator", "HSeparator", line)
	theme.set_constant("separation", "HSeparator", 12)


static func _box(fill: Color, radius: int, padding: int) -> StyleBoxFlat:
	var box := StyleBoxFlat.new()
	box.bg_color = fill
	box.set_corner_radius_all(radius)
	box.set_content_margin_all(padding)
	box.anti_aliasing = true
	return box
