"""ENRS: Espace Numérique Régional de Santé."""

__version__ = "0.1.0"
