class_name Palette
extends RefCounted
## The game's colours: Telegram's themeParams where given, Telegram-like defaults elsewhere.

const LIGHT := {
	"bg_color": "#ffffff",
	"secondary_bg_color": "#efeff3",
	"section_bg_color": "#ffffff",
	"text_color": "#000000",
	"hint_color": "#999999",
	"link_color": "#2481cc",
	"accent_text_color": "#2481cc",
	"button_color": "#2481cc",
	"button_text_color": "#ffffff",
	"destructive_text_color": "#ff3b30",
}
const DARK := {
	"bg_color": "#17212b",
	"secondary_bg_color": "#232e3c",
	"section_bg_color": "#17212b",
	"text_color": "#f5f5f5",
	"hint_color": "#708499",
	"link_color": "#6ab3f3",
	"accent_text_color": "#6ab2f2",
	"button_color": "#5288c1",
	"button_text_color": "#ffffff",
	"destructive_text_color": "#ec3942",
}

var bg: Color
var secondary_bg: Color
var section_bg: Color
var text: Color
var hint: Color
var link: Color
var accent: Color
var button: Color
var button_text: Color
var destructive: Color


## Colours from Telegram's [param params] ("#rrggbb" strings); a missing or malformed one falls back
## to the light or dark default.
static func from_theme_params(params: Dictionary, dark: bool) -> Palette:
	var defaults: Dictionary = DARK if dark else LIGHT
	var palette := Palette.new()
	palette.bg = _pick(params, defaults, "bg_color")
	palette.secondary_bg = _pick(params, defaults, "secondary_bg_color")
	palette.section_bg = _pick(params, defaults, "section_bg_color")
	palette.text = _pick(params, defaults, "text_color")
	palette.hint = _pick(params, defaults, "hint_color")
	palette.link = _pick(params, defaults, "link_color")
	palette.accent = _pick(params, defaults, "accent_text_color")
	palette.button = _pick(params, defaults, "button_color")
	palette.button_text = _pick(params, defaults, "button_text_color")
	palette.destructive = _pick(params, defaults, "destructive_text_color")
	return palette


static func _pick(params: Dictionary, defaults: Dictionary, key: String) -> Color:
	var value: Variant = params.get(key)
	if value is String and Color.html_is_valid(value):
		return Color.html(value)
	return Color.html(str(defaults[key]))
