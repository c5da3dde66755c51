"""Form helpers shared by every service app's views."""
from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, on its field when the form has it.

    Services raise ValidationError keyed by model or argument names; a key the form does not
    have becomes a non-field error so that the user still reads it.
    """
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            for item in errors:
                form.add_error(target, item.messages)
    else:
        form.add_error(None, error.messages)
