"""Password rules beyond Django's: length alone lets "aaaaaaaaaaaa" through."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

CHARACTER_CLASSES = (
    ("lowercase", lambda ch: ch.islower()),
    ("uppercase", lambda ch: ch.isupper()),
    ("digit", lambda ch: ch.isdigit()),
    ("other", lambda ch: not ch.isalnum()),
)


def character_classes(password: str) -> set[str]:
    """The classes (lowercase, uppercase, digit, other) ``password`` draws from."""
    return {name for name, belongs in CHARACTER_CLASSES if any(belongs(ch) for ch in password)}


class CharacterClassesValidator:
    """At least ``min_classes`` of: lowercase, uppercase, digits, other characters.

    Three of four (the ANSSI's usual advice for 12+ characters) keeps passphrases
    such as "mot-de-passe-solide-1" possible while refusing a single repeated class.
    """

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        if len(character_classes(password or "")) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return ngettext(
            "Le mot de passe doit mélanger au moins %(n)d type de caractères parmi : minuscules, "
            "majuscules, chiffres, autres caractères.",
            "Le mot de passe doit mélanger au moins %(n)d types de caractères parmi : minuscules, "
            "majuscules, chiffres, autres caractères.",
            self.min_classes,
        ) % {"n": self.min_classes}

