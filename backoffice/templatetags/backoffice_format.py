"""Template filters for the backoffice: numbers as the game shows them."""

from django import template

from backoffice.display import number_text

register = template.Library()


@register.filter
def thousands(number: int) -> str:
    """`1080` as `1,080`; anything that is not a whole number unchanged."""
    if isinstance(number, bool) or not isinstance(number, int):
        return str(number)
    return number_text(number)
