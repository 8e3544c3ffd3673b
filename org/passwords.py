from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class MixedCharacterClassesValidator:
    """A password needs letters and digits, so a long run of one character class is refused."""

    def validate(self, password: str, user: object = None) -> None:
        if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
            raise ValidationError(_("The password must contain both letters and digits."), code="password_classes")

    def get_help_text(self) -> str:
        return _("Your password must contain both letters and digits.")
