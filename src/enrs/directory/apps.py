from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "enrs.directory"
    label = "directory"
