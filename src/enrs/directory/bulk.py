"""Batched upserts for the importers of the national directories.

``bulk_upserts()`` opens a unit of work: inside it, the one-row upserts of
``enrs.directory.services`` (which validate first, then hand their cleaned
values here) compare with rows loaded for many keys at once and write nothing
until ``flush()``, which stores the batch with a few multi-row statements.
The validation stays in ``services``; this module only stages and stores, so
it imports nothing from ``services`` (one-way dependency).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.utils import timezone

from enrs.directory.models import Organisation, PracticeSituation, Professional

Status = Literal["created", "updated", "unchanged"]

@dataclass(frozen=True)
class UpsertResult:
    obj: Any
    status: Status


# --- Bulk upserts (the importers) -------------------------------------------------------
# Rows per query when loading or writing a batch (IN lists stay under SQLite's 999
# variables per statement).
BULK_CHUNK = 500
_MISSING = object()
# Values the database drivers take as they are, and whose checks depend on the value alone.
_PLAIN_TYPES = frozenset({str, int, bool})


class BulkConflict(Exception):
    """The staged rows of a batch cannot be stored as they are (a referenced row is gone
    or of the wrong kind). The caller replays its input with the one-row upserts, which
    name the record at fault."""


def _chunks(items: list, size: int = BULK_CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _locked(queryset):
    # Inside a transaction, lock the rows a batch may update, as the one-row upserts do.
    return queryset.select_for_update() if transaction.get_connection(queryset.db).in_atomic_block else queryset


@lru_cache(maxsize=None)
def _relations(model) -> dict[str, Any]:
    """Concrete foreign keys (and one-to-ones) of ``model`` by name."""
    return {f.name: f for f in model._meta.concrete_fields if f.is_relation}


def _instance(model, values: dict[str, Any]):
    """``model(**values)`` through the positional path of ``Model.__init__`` (twice as fast).

    Positional values follow ``concrete_fields``, foreign keys as their raw id; the
    related instances are then cached so that unsaved targets are found at flush.
    """
    if not _field_names(model).issuperset(values):
        raise TypeError(f"{model.__name__} has no fields {sorted(set(values) - _field_names(model))}")
    args = [default() if callable(default) else default for default in _defaults(model)]
    for name, value in values.items():
        index, relation = _positions(model)[name]
        if relation is None:
            args[index] = value
        else:
            args[index] = None if value is None else value.pk
    obj = model(*args)
    for name, relation in _relations(model).items():
        if values.get(name) is not None:
            relation.set_cached_value(obj, values[name])
    return obj


@lru_cache(maxsize=None)
def _defaults(model) -> tuple:
    """Default of each concrete field; callables (e.g. ``default=dict``) are called per row."""
    return tuple(f.default if callable(f.default) and f.has_default() else f.get_default()
                 for f in model._meta.concrete_fields)


@lru_cache(maxsize=None)
def _positions(model) -> dict[str, tuple[int, Any]]:
    """Field name -> (position in ``concrete_fields``, the field if it is a relation)."""
    return {f.name: (index, f if f.is_relation else None) for index, f in enumerate(model._meta.concrete_fields)}


@lru_cache(maxsize=None)
def _field_names(model) -> frozenset[str]:
    return frozenset(f.name for f in model._meta.concrete_fields)


@lru_cache(maxsize=256)
def _validated_fields(model, given: frozenset[str]) -> tuple:
    return tuple(f for f in model._meta.concrete_fields if f.name in given and not f.is_relation)


# (field, value) pairs already accepted by the field's checks: professions, titles, cities,
# sources repeat from row to row, and a plain field's checks depend on the value alone.
_ACCEPTED: set[tuple[Any, Any]] = set()
_ACCEPTED_LIMIT = 100_000


def _full_clean_given(obj, given: frozenset[str]) -> None:
    """``obj.full_clean()`` of a new row, as the one-row upsert does, for the ``given`` fields.

    The other fields hold their defaults; foreign keys, whose check is a query,
    are checked for the whole batch at flush time. Same errors, same messages.
    """
    errors: dict[str, list] = {}
    for field in _validated_fields(type(obj), given):
        raw = getattr(obj, field.attname)
        if field.blank and raw in field.empty_values:
            continue
        key = (field, raw) if type(raw) in _PLAIN_TYPES else None
        if key is not None and key in _ACCEPTED:
            continue
        try:
            cleaned = field.clean(raw, obj)
        except ValidationError as exc:
            errors[field.name] = exc.error_list
            continue
        setattr(obj, field.attname, cleaned)
        if key is not None and cleaned == raw:
            if len(_ACCEPTED) >= _ACCEPTED_LIMIT:
                _ACCEPTED.clear()
            _ACCEPTED.add(key)
    try:
        obj.clean()
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _ref(obj) -> tuple[str, int]:
    """Identity of a stored row (its pk) or of a row staged in the batch (the object)."""
    return ("pk", obj.pk) if obj.pk is not None else ("new", id(obj))


def _staged_target(obj, field):
    """The unsaved row ``field`` of ``obj`` points to, if any."""
    target = field.get_cached_value(obj, default=None)
    return target if target is not None and target.pk is None else None


def _differs(obj, name: str, value) -> bool:
    """Whether setting ``name`` to ``value`` changes ``obj``; foreign keys compared without a query."""
    field = _relations(type(obj)).get(name)
    if field is None:
        return getattr(obj, name) != value
    staged = _staged_target(obj, field)
    if staged is not None:
        return staged is not value
    if value is None:
        return getattr(obj, field.attname) is not None
    return value.pk is None or getattr(obj, field.attname) != value.pk


def _snapshot(obj, names) -> dict[str, Any]:
    state = {}
    for name in names:
        field = _relations(type(obj)).get(name)
        if field is None:
            state[name] = getattr(obj, name)
        else:
            state[name] = (getattr(obj, field.attname), field.get_cached_value(obj, default=_MISSING))
    return state


def _restore(obj, state: dict[str, Any]) -> None:
    for name, old in state.items():
        field = _relations(type(obj)).get(name)
        if field is None:
            setattr(obj, name, old)
            continue
        attvalue, cached = old
        setattr(obj, field.attname, attvalue)
        if cached is not _MISSING:
            field.set_cached_value(obj, cached)
        elif field.is_cached(obj):
            field.delete_cached_value(obj)


# --- Writing many rows ----------------------------------------------------------------------
# ``bulk_create`` and ``bulk_update`` send every value through the query compiler, and
# ``bulk_update`` builds one CASE WHEN per field and row: for thousands of rows that costs
# far more than the statements themselves. These helpers write the same values with plain
# SQL. Strings, integers, booleans and NULL go to the driver as they are; other values
# (datetimes, decimals, dates) through the field's ``get_db_prep_save``, as Django does.
# PostgreSQL receives one array per column through UNNEST, as Django 5.2's own bulk_create
# does; SQLite, which runs in-process, multi-row VALUES and ``executemany``. Other
# databases fall back to Django's bulk methods.


def _db_value(field, value, connection):
    if value is None or type(value) in _PLAIN_TYPES:
        return value
    return field.get_db_prep_save(value, connection)


def _unnest(fields, connection) -> str:
    # Without the type parameters (varchar[], not varchar(50)[]), as Django does, so nothing is cut.
    return "UNNEST(" + ", ".join(f"(%s)::{f.db_type(connection).split('(')[0]}[]" for f in fields) + ")"


def _point_relations_at_saved_targets(obj) -> None:
    # A target staged in the same batch got its pk when its model was flushed.
    for relation in _relations(type(obj)).values():
        if (target := relation.get_cached_value(obj, default=None)) is not None:
            setattr(obj, relation.attname, target.pk)


def _insert_rows(model, objs: list) -> None:
    """Insert new rows and give them their primary keys, as ``bulk_create`` does.

    The keys come back from ``RETURNING`` in the order of the rows, which is
    what ``bulk_create`` relies on too.
    """
    connection = connections[router.db_for_write(model)]
    if connection.vendor not in ("postgresql", "sqlite") or not connection.features.can_return_rows_from_bulk_insert:
        model.objects.bulk_create(objs, batch_size=BULK_CHUNK)
        return
    opts, quote = model._meta, connection.ops.quote_name
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    # auto_now / auto_now_add fields: one timestamp for the batch, prepared once.
    now = timezone.now()
    stamped = {f.attname: f.get_db_prep_save(now, connection) for f in fields
               if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)}
    head = f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
    tail = f" RETURNING {quote(opts.pk.column)}"
    per_query = BULK_CHUNK if connection.vendor == "postgresql" else connection.features.max_query_params // len(fields)
    for chunk in _chunks(objs, max(1, per_query)):
        rows = []
        for obj in chunk:
            _point_relations_at_saved_targets(obj)
            for attname in stamped:
                setattr(obj, attname, now)
            rows.append([stamped[f.attname] if f.attname in stamped else _db_value(f, getattr(obj, f.attname), connection)
                         for f in fields])
        if connection.vendor == "postgresql":
            sql, params = head + "SELECT * FROM " + _unnest(fields, connection) + tail, [list(c) for c in zip(*rows)]
        else:
            placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
            sql, params = head + "VALUES " + ", ".join([placeholders] * len(rows)) + tail, [v for row in rows for v in row]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            pks = [pk for (pk,) in cursor.fetchall()]
        if len(pks) != len(chunk):  # pragma: no cover - the database inserted another number of rows
            raise BulkConflict(f"{model.__name__}: {len(chunk)} rows sent, {len(pks)} inserted")
        for obj, pk in zip(chunk, pks):
            obj.pk = pk
            obj._state.adding, obj._state.db = False, connection.alias


def _update_rows(model, objs: list, names: list[str]) -> None:
    """Save the fields ``names`` of stored rows, as ``bulk_update`` does."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor not in ("postgresql", "sqlite"):
        model.objects.bulk_update(objs, names, batch_size=BULK_CHUNK)
        return
    opts, quote = model._meta, connection.ops.quote_name
    fields, pk, table = [opts.get_field(name) for name in names], opts.pk, quote(opts.db_table)
    rows = []
    for obj in objs:
        _point_relations_at_saved_targets(obj)
        rows.append([_db_value(f, getattr(obj, f.attname), connection) for f in fields] + [obj.pk])
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)
            cursor.executemany(f"UPDATE {table} SET {sets} WHERE {quote(pk.column)} = %s", rows)
            return
        sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
        columns = ", ".join(quote(f.column) for f in [*fields, pk])
        sql = (f"UPDATE {table} SET {sets} FROM {_unnest([*fields, pk], connection)} AS v({columns}) "
               f"WHERE {table}.{quote(pk.column)} = v.{quote(pk.column)}")
        for chunk in _chunks(rows):
            cursor.execute(sql, [list(c) for c in zip(*chunk)])


active_batch: ContextVar[BulkUpserts | None] = ContextVar("enrs_directory_bulk_upserts", default=None)


@contextmanager
def bulk_upserts() -> Iterator[BulkUpserts]:
    """Stage the upserts of the block in memory and store them with a few bulk queries.

    Inside the block, ``upsert_organisation``, ``upsert_professional``,
    ``upsert_situation`` and ``find_organisation`` behave as outside: same
    ``clean_*`` validation, same ``full_clean`` of new rows, same created /
    updated / unchanged answers. But they compare with rows loaded for many keys
    at once (``BulkUpserts.prefetch``, or one query on a miss) and write nothing:
    ``flush()``, called again when the block ends, inserts the new rows and
    updates the changed ones with a few multi-row statements. Until then a new
    row's ``UpsertResult.obj`` has no primary key. ``savepoint()`` undoes the
    staging of a rejected line as a database savepoint would.

    A flush can fail with ``IntegrityError``, ``DataError`` (both from the
    database) or ``BulkConflict``: run it inside ``transaction.atomic()`` so that
    the failure leaves nothing behind, then replay the same input with the
    one-row upserts to find the record at fault.
    """
    if active_batch.get() is not None:
        raise RuntimeError("bulk_upserts() blocks do not nest")
    batch = BulkUpserts()
    token = active_batch.set(batch)
    try:
        yield batch
        batch.flush()
    finally:
        active_batch.reset(token)


class BulkUpserts:
    """The unit of work behind ``bulk_upserts()``; use it through the module functions."""

    # Organisations first: professionals do not depend on them, situations depend on both.
    FLUSH_ORDER = (Organisation, Professional, PracticeSituation)

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        # Rows by key, loaded or staged; a key mapped to None is known to be absent.
        self._professionals: dict[str, Professional | None] = {}
        self._by_finess: dict[str, Organisation | None] = {}
        self._by_name: dict[tuple[str, str], Organisation | None] = {}
        self._situations: dict[tuple, PracticeSituation | None] = {}
        self._situations_of: set[int] = set()  # professionals whose situations are loaded
        self._new: dict[type, dict[int, Any]] = {model: {} for model in self.FLUSH_ORDER}
        self._dirty: dict[type, dict[int, tuple[Any, frozenset[str]]]] = {model: {} for model in self.FLUSH_ORDER}
        self._journal: list[Callable[[], None]] | None = None

    # Loading ------------------------------------------------------------------------
    def prefetch(self, *, idnat_ps=(), finess=(), named=()) -> None:
        """Load in a few queries the rows (and their situations) the coming upserts will look for.

        ``named`` holds ``(siret, name)`` keys of organisations without FINESS.
        """
        self._load_professionals(idnat_ps)
        self._load_by_finess(finess)
        self._load_by_name(named)
        self._load_situations([p.pk for p in self._professionals.values() if p is not None and p.pk is not None])

    def _load_professionals(self, keys) -> None:
        missing = sorted({key for key in keys if key and key not in self._professionals})
        for chunk in _chunks(missing):
            found = {p.idnat_ps: p for p in _locked(Professional.objects.filter(idnat_ps__in=chunk).order_by("pk"))}
            self._professionals.update((key, found.get(key)) for key in chunk)

    def _load_by_finess(self, keys) -> None:
        missing = sorted({key for key in keys if key and key not in self._by_finess})
        for chunk in _chunks(missing):
            found = {o.finess: o for o in _locked(Organisation.objects.filter(finess__in=chunk).order_by("pk"))}
            self._by_finess.update((key, found.get(key)) for key in chunk)

    def _load_by_name(self, keys) -> None:
        missing = sorted({key for key in keys if key not in self._by_name})
        for chunk in _chunks(missing):
            wanted = set(chunk)
            rows = _locked(Organisation.objects.filter(
                finess=None, siret__in={siret for siret, _name in chunk}, name__in={name for _siret, name in chunk},
            ).order_by("pk"))
            found: dict[tuple[str, str], Organisation] = {}
            for row in rows:
                if (row.siret, row.name) in wanted:
                    found.setdefault((row.siret, row.name), row)  # the oldest, as the one-row lookup
            self._by_name.update((key, found.get(key)) for key in chunk)

    def _load_situations(self, professional_pks) -> None:
        missing = sorted({pk for pk in professional_pks if pk not in self._situations_of})
        for chunk in _chunks(missing):
            rows = _locked(PracticeSituation.objects.filter(professional_id__in=chunk).order_by("pk"))
            for row in rows:
                key = (("pk", row.professional_id), ("pk", row.organisation_id), row.role_code, row.specialty_code)
                self._situations.setdefault(key, row)
            self._situations_of.update(chunk)

    # Upserts ------------------------------------------------------------------------
    def find_organisation(self, *, finess: str | None = None, siret: str = "", name: str = "") -> Organisation | None:
        if finess:
            self._load_by_finess([finess])
            return self._by_finess[finess]
        self._load_by_name([(siret, name)])
        return self._by_name[(siret, name)]

    def upsert_organisation(self, lookup: dict[str, Any], values: dict[str, Any]) -> UpsertResult:
        finess = lookup["finess"]
        existing = self.find_organisation(finess=finess, siret=lookup.get("siret", ""), name=lookup.get("name", ""))
        if existing is not None:
            return self._update(Organisation, existing, values)
        obj = self._create(Organisation, {**lookup, **values})
        if finess:
            self._index(self._by_finess, finess, obj)
        else:
            self._index(self._by_name, (lookup["siret"], lookup["name"]), obj)
        return UpsertResult(obj, "created")

    def upsert_professional(self, idnat: str, cleaned: dict[str, Any]) -> UpsertResult:
        self._load_professionals([idnat])
        existing = self._professionals[idnat]
        if existing is not None:
            return self._update(Professional, existing, cleaned)
        obj = self._create(Professional, {"idnat_ps": idnat, **cleaned})
        self._index(self._professionals, idnat, obj)
        return UpsertResult(obj, "created")

    def upsert_situation(self, professional: Professional, organisation: Organisation, cleaned: dict[str, Any]) -> UpsertResult:
        cleaned = dict(cleaned)
        role_code, specialty_code = cleaned.pop("role_code", ""), cleaned.pop("specialty_code", "")
        key = (_ref(professional), _ref(organisation), role_code, specialty_code)
        if key not in self._situations and professional.pk is not None and organisation.pk is not None:
            self._load_situations([professional.pk])
        existing = self._situations.get(key)
        if existing is not None:
            return self._update(PracticeSituation, existing, cleaned)
        obj = self._create(PracticeSituation, {
            "professional": professional, "organisation": organisation,
            "role_code": role_code, "specialty_code": specialty_code, **cleaned,
        })
        self._index(self._situations, key, obj)
        return UpsertResult(obj, "created")

    def _create(self, model, values: dict[str, Any]):
        obj = _instance(model, values)
        _full_clean_given(obj, frozenset(values))
        staged = self._new[model]
        staged[id(obj)] = obj
        self._log(lambda: staged.pop(id(obj), None))
        return obj

    def _update(self, model, obj, values: dict[str, Any]) -> UpsertResult:
        changed = [name for name, value in values.items() if _differs(obj, name, value)]
        if not changed:
            return UpsertResult(obj, "unchanged")
        before = _snapshot(obj, changed)
        for name in changed:
            setattr(obj, name, values[name])
        self._log(lambda: _restore(obj, before))
        if obj.pk is not None:  # a staged new row is inserted with its final values anyway
            dirty = self._dirty[model]
            previous = dirty.get(id(obj))
            dirty[id(obj)] = (obj, frozenset(changed) | (previous[1] if previous else frozenset()))
            self._log(lambda: dirty.__setitem__(id(obj), previous) if previous else dirty.pop(id(obj), None))
        return UpsertResult(obj, "updated")

    def _index(self, mapping: dict, key, obj) -> None:
        previous = mapping.get(key, _MISSING)
        mapping[key] = obj
        self._log(lambda: mapping.pop(key) if previous is _MISSING else mapping.__setitem__(key, previous))

    # In-memory savepoints -------------------------------------------------------------
    def _log(self, undo: Callable[[], None]) -> None:
        if self._journal is not None:
            self._journal.append(undo)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Undo what the block staged if it raises (a rejected line leaves nothing behind)."""
        outer, self._journal = self._journal, []
        try:
            yield
        except BaseException:
            for undo in reversed(self._journal):
                undo()
            raise
        else:
            if outer is not None:
                outer.extend(self._journal)
        finally:
            self._journal = outer

    # Writing ---------------------------------------------------------------------------
    def flush(self) -> None:
        """Store the staged rows (new ones, then changed ones, model by model) and start afresh."""
        try:
            self._check_references()
            now = timezone.now()
            for model in self.FLUSH_ORDER:
                self._insert(model)
                self._save_changes(model, now)
        finally:
            self._reset()

    def _check_references(self) -> None:
        """Validate the foreign keys of the new rows as ``full_clean`` would, one query per field."""
        for model in self.FLUSH_ORDER:
            for field in _relations(model).values():
                limit = field.get_limit_choices_to()
                stored: set[int] = set()
                for obj in self._new[model].values():
                    target = _staged_target(obj, field)
                    if target is not None:
                        if isinstance(limit, dict) and any(getattr(target, k) != v for k, v in limit.items()):
                            raise BulkConflict(f"{model.__name__}.{field.name}: {target!r} is not allowed")
                    elif (pk := getattr(obj, field.attname)) is not None:
                        stored.add(pk)
                manager = field.remote_field.model._base_manager
                for chunk in _chunks(sorted(stored)):
                    found = manager.filter(pk__in=chunk).complex_filter(limit).values_list("pk", flat=True)
                    if len(set(found)) != len(chunk):
                        raise BulkConflict(f"{model.__name__}.{field.name}: a referenced row is missing")

    def _insert(self, model) -> None:
        pending = list(self._new[model].values())
        while pending:
            # A row pointing to a row staged in the same batch waits for that row's pk.
            ready = [obj for obj in pending if not any(_staged_target(obj, f) for f in _relations(model).values())]
            if not ready:
                raise BulkConflict(f"{model.__name__}: staged rows refer to rows that are not staged")
            _insert_rows(model, ready)
            done = {id(obj) for obj in ready}
            pending = [obj for obj in pending if id(obj) not in done]

    def _save_changes(self, model, now) -> None:
        entries = list(self._dirty[model].values())
        if not entries:
            return
        objs = [obj for obj, _fields in entries]
        fields = set().union(*(fields for _obj, fields in entries))
        # Rows are written without save(), hence without auto_now: stamp them here.
        for obj in objs:
            obj.updated_at = now
        _update_rows(model, objs, sorted(fields | {"updated_at"}))
