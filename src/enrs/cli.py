"""The ``enrs`` command: an entry point over Django's management commands.

``enrs demo``, ``enrs import-annuaire FILE``, ``enrs bench NAME`` … are all
management commands. Command modules use underscores (Python names); the CLI
also accepts the hyphenated spelling that the documentation uses.
"""

import os
import sys


def _django_command_name(name: str) -> str:
    """Map ``import-annuaire`` to ``import_annuaire`` when such a command exists."""
    if "-" not in name or name.startswith("-"):
        return name
    from django.core.management import get_commands

    candidate = name.replace("-", "_")
    return candidate if candidate in get_commands() else name


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enrs.settings")
    import django
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "enrs"
    if len(argv) > 1:
        django.setup()
        argv[1] = _django_command_name(argv[1])
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
