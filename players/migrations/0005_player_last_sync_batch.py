"""The player row keeps the client's id of the last applied click batch (`batch` of the sync).

With it a resend of the last seq tells its own batch, applied before, from another device's
batch under the same seq (`same_batch` in the answer).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("players", "0004_board_order_off_the_sync_path"),
    ]

    operations = [
        migrations.AddField(
            model_name="player",
            name="last_sync_batch",
            field=models.BigIntegerField(default=0),
        ),
    ]
