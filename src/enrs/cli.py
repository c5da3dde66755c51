"""The ``enrs`` command: an entry point over Django's management commands.

``enrs demo``, ``enrs import-annuaire FILE``, ``enrs bench NAME`` … are all
management commands; ``enrs`` only makes sure the settings are found.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enrs.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "enrs"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
