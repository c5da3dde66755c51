from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "enrs.accounts"
    label = "accounts"
