"""Importers of the national directories into the ENRS directory.

* ``annuaire``: Annuaire Santé extraction ``PS_LibreAcces_Personne_activite_*.txt``;
* ``finess``: FINESS open-data extraction ``etalab-cs1100507-stock-*.csv``;
* ``base``, ``runner``, ``progress``, ``storage``: the machinery both share
  (encoding and line count first, one transaction per file, batches of lines
  staged in memory and stored with a few bulk queries, nothing kept of a
  rejected line, rejected lines kept verbatim, live progress, stored copy with
  SHA-256);
* ``command``: the base of the ``enrs import-annuaire`` / ``enrs import-finess`` commands.

Entry points are ``enrs.directory.services.start_import`` and ``run_import``.
"""
