# Names are unique by their confusable skeleton (players.rules.name_skeleton), and blocked
# words by theirs. Existing rows are backfilled: of two existing names that look alike the older
# one (lower id) keeps it and the newer player is asked for a new name (game_name cleared); of
# two blocked words with one skeleton the older stays.

from django.db import migrations, models

from players.rules import name_skeleton


def backfill_skeletons(apps, schema_editor):
    Player = apps.get_model("players", "Player")
    BlockedWord = apps.get_model("players", "BlockedWord")
    seen = set()
    players = Player.objects.filter(game_name__isnull=False).order_by("pk")
    for player in players.only("pk", "game_name").iterator(chunk_size=2000):
        skeleton = name_skeleton(player.game_name)
        if skeleton in seen:
            Player.objects.filter(pk=player.pk).update(game_name=None, game_name_skeleton=None)
            continue
        seen.add(skeleton)
        Player.objects.filter(pk=player.pk).update(game_name_skeleton=skeleton)
    seen = set()
    for word in BlockedWord.objects.order_by("pk"):
        skeleton = name_skeleton(word.word)
        if not skeleton or skeleton in seen:
            word.delete()
            continue
        seen.add(skeleton)
        BlockedWord.objects.filter(pk=word.pk).update(word_skeleton=skeleton)


class Migration(migrations.Migration):

    dependencies = [
        ('players', '0002_sync_reply_and_rate_window'),
    ]

    operations = [
        migrations.AddField(
            model_name='blockedword',
            name='word_skeleton',
            field=models.CharField(editable=False, max_length=255, null=True),
        ),
        migrations.AddField(
            model_name='player',
            name='game_name_skeleton',
            field=models.CharField(blank=True, editable=False, max_length=255, null=True),
        ),
        migrations.RunPython(backfill_skeletons, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='blockedword',
            name='word_skeleton',
            field=models.CharField(editable=False, max_length=255, unique=True),
        ),
        migrations.AlterField(
            model_name='player',
            name='game_name_skeleton',
            field=models.CharField(blank=True, editable=False, max_length=255, null=True, unique=True),
        ),
    ]
