"""Forms of the backoffice's player actions: why it is done, and the new name for a rename."""

from django import forms

REASON_MAX_LENGTH = 500


def _reason_field(*, required: bool) -> forms.CharField:
    return forms.CharField(
        label="Reason",
        required=required,
        max_length=REASON_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Recorded in the admin log with your name and the time.",
    )


class ConfirmForm(forms.Form):
    """An action that needs nothing but the click that confirms it."""


class OptionalReasonForm(forms.Form):
    """An action whose reason is welcome but not required."""

    reason = _reason_field(required=False)


class RequiredReasonForm(forms.Form):
    """An action that must say why (ban, reset clicks)."""

    reason = _reason_field(required=True)


class RenameForm(forms.Form):
    """A staff rename: the new game name (checked by the same rules as the API) and why."""

    game_name = forms.CharField(
        label="New game name",
        max_length=256,
        strip=False,
        help_text="Same rules as in the game: 3 to 20 letters, digits, spaces and _ - .",
    )
    reason = _reason_field(required=False)
