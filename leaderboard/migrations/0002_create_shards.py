from django.db import migrations

SHARDS = 64  # leaderboard.models.TOTAL_CLICK_SHARDS at the time of this migration


def create_shards(apps, schema_editor) -> None:
    shard_model = apps.get_model("leaderboard", "ClickTotalShard")
    shard_model.objects.bulk_create(
        [shard_model(shard=n, clicks=0) for n in range(SHARDS)], ignore_conflicts=True
    )


class Migration(migrations.Migration):
    dependencies = [("leaderboard", "0001_initial")]

    operations = [migrations.RunPython(create_shards, migrations.RunPython.noop)]
