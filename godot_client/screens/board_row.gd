class_name BoardRow
extends PanelContainer
## One leaderboard line: rank, game name, clicks and share; the player's own line stands out.

@onready var _rank: Label = %Rank
@onready var _game_name: Label = %GameName
@onready var _clicks: Label = %Clicks
@onready var _share: Label = %Share


## Fills the row; call after it entered the tree.
func show_entry(entry: ApiModels.BoardEntry, is_me: bool) -> void:
	_rank.text = "#%d" % entry.rank
	_game_name.text = entry.game_name + (" (you)" if is_me else "")
	_clicks.text = NumberFormat.grouped(entry.clicks)
	_share.text = NumberFormat.percent(entry.share)
	theme_type_variation = &"MyBoardRow" if is_me else &"BoardRow"
