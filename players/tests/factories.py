"""factory-boy factories for players."""

import factory

from players.models import BlockedWord, NameStatus, Player


class PlayerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Player

    telegram_id = factory.Sequence(lambda n: 5_000_000 + n)
    game_name = factory.Sequence(lambda n: f"player{n}")
    name_status = NameStatus.APPROVED
    first_name = factory.Faker("first_name")
    clicks = 0
    # The SQL board's order as the board keeper leaves it: in step with the clicks.
    board_clicks = factory.SelfAttribute("clicks")


class BlockedWordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BlockedWord
        django_get_or_create = ("word",)

    word = "badword"
