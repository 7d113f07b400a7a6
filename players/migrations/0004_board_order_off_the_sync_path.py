"""The SQL leaderboard's order moves to `board_clicks`, so a click sync updates no indexed column.

The index is dropped first, so copying `clicks` into the new column rewrites no index entry;
the index is then built once over the copied values.
"""

from typing import Any

from django.db import migrations, models
from django.db.models import F


def copy_clicks(apps: Any, schema_editor: Any) -> None:
    apps.get_model("players", "Player").objects.update(board_clicks=F("clicks"))


class Migration(migrations.Migration):
    dependencies = [
        ("players", "0003_name_skeletons"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="player",
            name="player_board_idx",
        ),
        migrations.AddField(
            model_name="player",
            name="board_clicks",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(copy_clicks, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="player",
            index=models.Index(
                models.OrderBy(models.F("board_clicks"), descending=True),
                models.OrderBy(models.F("id")),
                condition=models.Q(("is_banned", False)),
                name="player_board_idx",
            ),
        ),
    ]
