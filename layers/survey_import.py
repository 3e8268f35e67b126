"""Survey import: files → standard fields → EPSG:4490 → validation → staging (COPY) → one publish.

Either every valid row lands in one transaction or none does (unless `skip_invalid`);
a killed import leaves the inventory as it was, because nothing is visible before the
final COMMIT. Grid, community and street codes come from the current unit grid, read
inside that transaction (`layers.survey_locate`); identifiers missing from the survey get
serials from the database's counters. The transaction first waits for the inventory's other writers
(`layers.component_writes`), so its checks against the inventory see every write committed before it.
"""

import getpass
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql

from gis.crs import CrsSpec, gauss_kruger_epsg
from gis.errors import ConfigurationError, ImportValidationError
from grid_codes.classes import Scheme, default_table
from layers.component_writes import lock_component_writes
from layers.components import IMPORT_MODES, STANDARD_FIELDS, bump_data_version, ensure_class_layers
from layers.field_mapping import FieldMapping
from layers.returned_rows import refused_rows
from layers.survey_cut_names import restore_cut_names
from layers.survey_gather import Progress, noop, read_rows
from layers.survey_locate import (
    Allocation,
    allocate,
    anchors,
    area_names,
    delivered_code_notes,
    locate_rows,
    numbered,
    serial_ranks,
)
from layers.survey_offsets import layers_of, offset_notes
from layers.survey_positions import SAME_POSITION_DEGREES, stored_in_place, stored_positions
from layers.survey_rows import Rejection, SurveyRows, rows_rejected
from layers.survey_stage import (
    REBUILD_MIN_ROWS,
    StagedRows,
    attributes_json,
    duplicate_candidates,
    insert,
    sql_text,
    stage,
    table_rows,
    wants_rebuild,
)
from layers.survey_validate import MANDATORY, Validated, ValidationContext, mandatory_empty, validate
from layers.survey_versions import unknown_to_delivery

MODES = IMPORT_MODES
_SWEEPING_REMOVALS = 10  # a replace removing at least this many components, and as many per delivered row
# the fields an upsert takes from the stored version when a file has no column for them (carry_forward.sql);
# the codes onemap derives from the geometry and the identifier are not among them
CARRIED_FIELDS = tuple(f for f in STANDARD_FIELDS
                       if f not in ("id", "grid_code", "street_code", "community_code"))


@dataclass(frozen=True)
class ImportOptions:
    scheme: Scheme = "gb47678"
    class_code: str | None = None
    crs: CrsSpec | None = None
    encoding: str | None = None
    layers: tuple[str, ...] = ()  # of multi-layer files (else every layer with geometries), or sheets
    mapping: FieldMapping = field(default_factory=FieldMapping.default)
    mode: str = "append"
    dry_run: bool = False
    skip_invalid: bool = False
    duplicate_distance_m: float = 0.5
    # (standard field, value): the value of that field in every row that leaves it empty (--fill)
    fill: tuple[tuple[str, str], ...] = ()
    actor: str = field(default_factory=getpass.getuser)
    change_source: str | None = None  # recorded on each new version; default 'import:<batch id>'
    # what a rejection for an identifier in use (or once removed) tells the caller to do instead
    in_use_hint: str = "use --mode upsert"
    removed_hint: str = "--mode upsert restores that one"
    timezone: str = "Asia/Shanghai"  # the city's (ONEMAP_TIMEZONE): the dates messages tell are its dates
    # drop and rebuild onemap.component's secondary indexes around the INSERT (None: when the
    # load is large relative to the table; see layers.survey_stage for the lock it takes)
    rebuild_indexes: bool | None = None


@dataclass(frozen=True)
class ImportResult:
    batch_id: int
    status: str  # committed | rejected | dry-run
    rows_read: int
    rows_loaded: int  # rows that wrote a new version
    rejections: list[Rejection]
    loaded_per_class: dict[str, int]
    notes: list[str]
    rows_unchanged: int = 0  # rows identical to their current version (nothing written)
    # current components a replace closed, per class: of the delivered classes, not delivered again
    removed_per_class: dict[str, int] = field(default_factory=dict)
    ids: tuple[str, ...] = ()  # identifiers of the new versions, in row order
    refused: SurveyRows | None = None  # the rows with rejections, as delivered (layers.returned_rows)
    rows_replaced: int = 0  # of rows_loaded, those that replaced a current version (upsert, replace)

    @property
    def removed(self) -> int:
        return sum(self.removed_per_class.values())


def _context(conn: psycopg.Connection, options: ImportOptions) -> ValidationContext:
    row = conn.execute("SELECT ST_AsBinary(ST_Union(geom)), array_agg(code) FROM onemap.admin_area "
                       "WHERE level = 'county'").fetchone()
    if row is None or row[0] is None:
        raise ConfigurationError("no county areas are loaded, so the city extent is unknown: "
                                 "load the admin areas first (e.g. `onemap demo`)")
    city = shapely.from_wkb(row[0])
    return ValidationContext(
        scheme=options.scheme, table=default_table(), city=city, county_codes=frozenset(row[1]),
        zone_epsg=gauss_kruger_epsg(city.centroid.x), class_code=options.class_code,
        duplicate_distance_m=options.duplicate_distance_m, fill=options.fill,
        carry_forward=options.mode == "upsert",
        keep_positions=(stored_positions(conn, options.scheme, options.timezone) if options.mode == "upsert"
                        else None),
        in_place=stored_in_place(conn, options.scheme) if options.mode == "upsert" else None,
        versions=options.mode != "append", timezone=options.timezone)


def import_components(conn: psycopg.Connection, paths: Sequence[Path], options: ImportOptions,
                      progress: Progress = noop) -> ImportResult:
    """Run one import; the caller's connection must not be inside a transaction."""
    if options.mode not in MODES:
        raise ImportValidationError(f"mode {options.mode!r} is not one of {', '.join(MODES)}")
    rows, notes = read_rows(paths, options, progress)
    notes += restore_cut_names(conn, rows, options.scheme)
    notes += offset_notes(conn, layers_of(rows))
    return import_rows(conn, rows, [str(p) for p in paths], options, notes, progress)


def import_rows(conn: psycopg.Connection, rows: SurveyRows, sources: list[str], options: ImportOptions,
                notes: Sequence[str] = (), progress: Progress = noop) -> ImportResult:
    """Validate, stage and publish rows already in the standard fields and EPSG:4490 (files or API).

    Publishing runs in a transaction of its own, or in a savepoint of the caller's.
    """
    notes = list(notes)
    file_order = list(dict.fromkeys(str(f) for f in rows.files))
    progress("validate", 0, len(rows))
    as_read = rows.fields  # validation reads dates and fills defaults into a frame of its own
    checked = validate(rows, _context(conn, options))
    as_read = as_read.iloc[np.flatnonzero(~checked.valid)]
    notes.extend(checked.notes)
    progress("validate", len(rows), len(rows))
    index = np.flatnonzero(checked.valid)
    rebuild = options.rebuild_indexes
    if rebuild is None:
        rebuild = len(index) >= REBUILD_MIN_ROWS and wants_rebuild(len(index), table_rows(conn))
    try:
        with conn.transaction():
            stamp = lock_component_writes(conn)
            batch_id = _open_batch(conn, sources, options)
            progress("locate", 0, len(index))
            staged = _located(conn, checked, index, carry=options.mode == "upsert")
            notes.extend(delivered_code_notes(staged.fields, staged.grid, staged.community,
                                              rows.files[index], rows.rows[index],
                                              area_names(conn, staged.fields)))
            progress("locate", len(index), len(index))
            progress("load", 0, len(index))
            stage(conn, staged)
            progress("load", len(index), len(index))
            rejected_in_db = _check_against_inventory(conn, checked, staged, options, notes)
            order = {name: i for i, name in enumerate(file_order)}
            rejections = sorted(checked.rejections + [r for _, r in rejected_in_db],
                                key=lambda r: (order.get(r.file, 0), r.row))
            refused = refused_rows(rows, np.union1d(np.flatnonzero(~checked.valid),
                                                    [i for i, _ in rejected_in_db]).astype(np.int64), as_read)
            if rejections and not options.skip_invalid:
                raise _Rejected(rejections, refused)
            progress("publish", 0, 1)
            rejected_rows = {i for i, _ in rejected_in_db}
            published = _publish(conn, batch_id, options, staged, rejected_rows,
                                 _identifiers_rejected(checked, rejected_rows), rebuild, stamp, notes)
            status = "dry-run" if options.dry_run else "committed"
            _close_batch(conn, batch_id, status, len(rows), sum(published.loaded.values()), rejections)
            if options.dry_run:
                raise _DryRun(published, rejections, refused)
            progress("publish", 1, 1)
        return _published_result(batch_id, status, len(rows), published, rejections, notes, refused)
    except _Rejected as outcome:
        batch_id = record_batch(conn, sources, options, "rejected", len(rows), 0, outcome.rejections)
        return ImportResult(batch_id, "rejected", len(rows), 0, outcome.rejections, {}, notes,
                            refused=outcome.refused)
    except _DryRun as outcome:
        batch_id = record_batch(conn, sources, options, "dry-run", len(rows), 0, outcome.rejections)
        return _published_result(batch_id, "dry-run", len(rows), outcome.published, outcome.rejections, notes,
                                 outcome.refused)


@dataclass(frozen=True)
class _Published:
    """What a publish wrote: new versions per class, rows identical to their current version, components
    a replace removed per class, versions a delivered row replaced, the new versions' identifiers."""

    loaded: dict[str, int]
    unchanged: int
    removed: dict[str, int]
    replaced: int
    ids: tuple[str, ...]


def _published_result(batch_id: int, status: str, read: int, published: _Published,
                      rejections: list[Rejection], notes: list[str], refused: SurveyRows) -> ImportResult:
    return ImportResult(batch_id, status, read, sum(published.loaded.values()), rejections, published.loaded,
                        notes, published.unchanged, published.removed,
                        published.ids if status == "committed" else (), refused, published.replaced)


class _Rejected(Exception):
    def __init__(self, rejections: list[Rejection], refused: SurveyRows) -> None:
        self.rejections = rejections
        self.refused = refused


class _DryRun(Exception):
    def __init__(self, published: _Published, rejections: list[Rejection], refused: SurveyRows) -> None:
        self.published = published
        self.rejections = rejections
        self.refused = refused


def _open_batch(conn: psycopg.Connection, sources: list[str], options: ImportOptions) -> int:
    row = conn.execute(
        "INSERT INTO onemap.import_batch (kind, sources, actor, mode, scheme, dry_run) "
        "VALUES ('components', %s, %s, %s, %s, %s) RETURNING id",
        (sources, options.actor, options.mode, options.scheme, options.dry_run)).fetchone()
    assert row is not None
    return int(row[0])


def _close_batch(conn: psycopg.Connection, batch_id: int, status: str, read: int, loaded: int,
                 rejections: list[Rejection]) -> None:
    conn.execute(
        "UPDATE onemap.import_batch SET status = %s, finished_at = clock_timestamp(), rows_read = %s, "
        "rows_loaded = %s, rows_rejected = %s WHERE id = %s",
        (status, read, loaded, rows_rejected(rejections), batch_id))


def record_batch(conn: psycopg.Connection, sources: list[str], options: ImportOptions,
                    status: str, read: int, loaded: int, rejections: list[Rejection]) -> int:
    """An audit row opened and closed at once (in a transaction or savepoint of its own): an import that
    wrote nothing, an API DELETE."""
    with conn.transaction():
        batch_id = _open_batch(conn, sources, options)
        _close_batch(conn, batch_id, status, read, loaded, rejections)
    return batch_id


def _located(conn: psycopg.Connection, checked: Validated, index: np.ndarray, *, carry: bool) -> StagedRows:
    """The valid rows with their cell, community and county, and serial ranks where ids are missing;
    with `carry` (upsert), what each row's file has columns for."""
    rows = checked.rows
    geometries = rows.geometries[index]
    types = checked.geometry_types[index]
    classes = checked.class_codes[index]
    where = locate_rows(conn, anchors(geometries))
    delivered = rows.fields["id"].to_numpy(dtype=object)[index]
    groups = _groups(where.county, classes)
    ranks = serial_ranks(groups, pd.isna(delivered) & pd.notna(where.county))
    columns = rows.columns[index] if carry and rows.columns is not None else None
    return StagedRows(index, rows.fields.iloc[index], attributes_json(rows.attributes, index), classes,
                      types, geometries, where.grid, where.community, where.county, ranks, columns)


def _groups(county: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """county + class per row (None where the county is unknown)."""
    groups = np.full(len(county), None, dtype=object)
    known = pd.notna(county)
    groups[known] = county[known] + classes[known]
    return groups


def _check_against_inventory(conn: psycopg.Connection, checked: Validated, staged: StagedRows,
                             options: ImportOptions, notes: list[str]) -> list[tuple[int, Rejection]]:
    """Identifiers already in the inventory (append mode) and duplicates of stored components; in upsert
    mode, first what the rows' files have no column for is taken from the stored versions."""
    found = _carried_forward(conn, staged, options.scheme, notes) if staged.columns is not None else []
    conn.execute(sql_text("unchanged.sql"), {"mode": options.mode, "same_position": SAME_POSITION_DEGREES})
    check_duplicates = options.mode != "replace"
    candidates = (duplicate_candidates(conn, staged, options.scheme, options.duplicate_distance_m)
                  if check_duplicates else None)
    found += conn.execute(sql_text("staging_checks.sql"), {
        "append": options.mode == "append", "upsert": options.mode == "upsert",
        "versions": options.mode != "append",
        "in_use_hint": options.in_use_hint, "removed_hint": options.removed_hint,
        "check_duplicates": check_duplicates, "same_position": SAME_POSITION_DEGREES,
        "distance": options.duplicate_distance_m, "scheme": options.scheme, "timezone": options.timezone,
        "rows": None if candidates is None else [int(i) for i in candidates]}).fetchall()
    rows = checked.rows
    rejected = [(int(i), Rejection(str(rows.files[i]), int(rows.rows[i]), field_name, reason))
                for i, field_name, reason in found]
    if rejected:
        refused = sorted({i for i, _ in rejected})
        conn.execute("DELETE FROM pg_temp.survey_staging WHERE row_idx = ANY(%s)", (refused,))
        conn.execute("DELETE FROM pg_temp.survey_unchanged WHERE row_idx = ANY(%s)", (refused,))
    return rejected


def _carried_forward(conn: psycopg.Connection, staged: StagedRows, scheme: str,
                     notes: list[str]) -> list[tuple[int, str, str]]:
    """Take what the staged rows' files have no column for from the current versions (carry_forward.sql),
    with a note; the rows whose mandatory fields are still empty then (new components), as (row, field,
    reason)."""
    fields = sql.SQL(",\n    ").join(
        sql.SQL("{0} = CASE WHEN {1} = ANY (s.fields_carried) THEN s.{0} ELSE c.{0} END").format(
            sql.Identifier(name), sql.Literal(name)) for name in CARRIED_FIELDS)
    statement = sql.SQL(sql_text("carry_forward.sql")).format(fields=fields)
    taken = conn.execute(statement, {"scheme": scheme, "carried": list(CARRIED_FIELDS)}).rowcount
    if taken > 0:
        files = pd.unique(staged.columns) if staged.columns is not None else []
        absent = [name for name in CARRIED_FIELDS if any(name not in c.fields for c in files)]
        notes.append(f"{taken} row(s) keep from their stored version the fields their file has no column for "
                     f"({', '.join(absent) or 'none'}) and the free attributes under other names (upsert)")
    found: list[tuple[int, str, str]] = []
    for name in MANDATORY:
        reason = (f"{mandatory_empty(name)}: the file has no column for it, and no current component has the "
                  "row's identifier to take it from")
        found += [(i, name, reason) for i, in conn.execute(
            sql.SQL("SELECT row_idx FROM pg_temp.survey_staging WHERE {} IS NULL").format(
                sql.Identifier(name)))]
    return found


def _publish(conn: psycopg.Connection, batch_id: int, options: ImportOptions, staged: StagedRows,
             rejected: set[int], kept: list[str], rebuild: bool, stamp: datetime,
             notes: list[str]) -> "_Published":
    """Allocate identifiers, close replaced versions (not the components `kept` names), insert; the
    versions closed end, and the new ones start, at `stamp`. `rejected`: the staged rows the checks against
    the inventory rejected.

    Notes: components an upsert brings back (removed earlier, their identifiers delivered again), and a
    replace's removals beyond what the delivery covers.
    """
    keep = ~np.isin(staged.index, list(rejected)) if rejected else np.ones(len(staged.index), dtype=bool)
    delivered = staged.fields["id"].to_numpy(dtype=object)
    groups = _groups(staged.county, staged.class_codes)
    ranks = staged.ranks
    if rejected and (ranks[~keep] >= 0).any():  # --skip-invalid dropped rows: close the serial gaps
        ranks = np.where(keep, serial_ranks(groups, keep & (ranks >= 0)), -1)
        moved = np.flatnonzero(keep & (ranks != staged.ranks))
        conn.execute("UPDATE pg_temp.survey_staging s SET serial_rank = r.rank "
                     "FROM unnest(%s::int[], %s::int[]) AS r (row_idx, rank) WHERE s.row_idx = r.row_idx",
                     ([int(i) for i in staged.index[moved]], [int(r) for r in ranks[moved]]))
    allocation = allocate(conn, options.scheme, groups[keep], ranks[keep], delivered[keep])
    ids = numbered(groups, ranks, allocation, delivered)
    if allocation.reused:
        _number_from_free_serials(conn, staged, allocation, keep & (ranks >= 0) & np.isin(groups, list(
            allocation.reused)), ids, notes)
    params = {"scheme": options.scheme, "mode": options.mode, "batch": batch_id,
              "actor": options.actor, "source": options.change_source or f"import:{batch_id}",
              "groups": list(allocation.firsts), "firsts": list(allocation.firsts.values()),
              "kept": kept, "same_position": SAME_POSITION_DEGREES, "stamp": stamp}
    if options.mode != "append":
        notes.extend(_restored(conn, options.timezone))
    if options.mode == "replace":
        unknown, told = unknown_to_delivery(conn, options.scheme, options.timezone)
        params["kept"] = [*kept, *unknown]
        notes.extend(told)
    closed: list[tuple[str, int, int, int]] = []
    with conn.cursor() as cur:
        for statement in sql_text("publish.sql").split(";\n\n"):
            if statement.strip():
                cur.execute(statement.encode(), params)
                if cur.description:  # per class: removed, removed outside the delivered streets, replaced
                    closed = [(str(code), int(a), int(b), int(c)) for code, a, b, c in cur.fetchall()]
    removed = {code: count for code, count, _, _ in closed if count}
    unchanged = {int(i) for i, in conn.execute("SELECT row_idx FROM pg_temp.survey_unchanged")}
    insert(conn, params, rebuild=rebuild)
    new = keep & ~np.isin(staged.index, list(unchanged)) if unchanged else keep
    counts = pd.Series(staged.class_codes[new], dtype=object).value_counts().to_dict()
    if counts:
        ensure_class_layers(conn, options.scheme, set(counts))
        bump_data_version(conn, "components")
    notes.extend(_sweeping_removals(removed, staged.class_codes[keep], options.scheme))
    outside = sum(count for _, _, count, _ in closed)
    if outside:
        streets = sorted({str(c)[:9] for c in staged.community[keep] if c})
        listed = ", ".join(streets[:5]) + (" …" if len(streets) > 5 else "")
        notes.append(f"replace: {outside} of the {sum(removed.values())} component(s) it removes lie "
                     f"outside the {len(streets)} street(s) the delivery covers ({listed}): a replace "
                     "removes, in the whole city, every current component of the delivered classes that "
                     "the delivery does not hold; for a delivery of part of the city, --mode upsert changes "
                     "only the components it holds")
    return _Published({str(k): int(v) for k, v in counts.items()}, len(unchanged), removed,
                      sum(count for _, _, _, count in closed), tuple(str(i) for i in ids[new]))


def _restored(conn: psycopg.Connection, timezone: str) -> list[str]:
    """A note naming the components removed earlier that the delivered identifiers bring back: a file
    exported before a removal, imported again, undoes it."""
    found = conn.execute(sql_text("restored.sql"), {"timezone": timezone}).fetchall()
    if not found:
        return []
    named = "; ".join(f"{i} (removed on {day} by {source or 'an unrecorded write'})"
                      for i, day, source in found[:5]) + ("; …" if len(found) > 5 else "")
    return [f"{len(found)} component(s) removed earlier come back, their identifiers delivered again: "
            f"{named}; if the file was exported before those removals, drop their rows"]


def _sweeping_removals(removed: dict[str, int], delivered: np.ndarray, scheme: Scheme) -> list[str]:
    """A note per class a replace empties although the delivery holds only a few of its rows: one row
    coded with another class by a slip takes that whole class out of the inventory."""
    rows = pd.Series(delivered, dtype=object).value_counts().to_dict()
    table = default_table()
    notes = []
    for code, count in sorted(removed.items()):
        if count >= _SWEEPING_REMOVALS and count > _SWEEPING_REMOVALS * rows.get(code, 0):
            info = table.get(scheme, "component", code)
            name = f"{code} {info.name}" if info and info.name else code
            notes.append(f"replace: class {name} is delivered in {rows.get(code, 0)} row(s) and {count} of "
                         "its stored components, not delivered again, leave the inventory; a replace removes "
                         "what each class it delivers no longer holds: check those rows' class if it is a "
                         "slip")
    return notes


def _number_from_free_serials(conn: psycopg.Connection, staged: StagedRows, allocation: Allocation,
                              rows: np.ndarray, ids: np.ndarray, notes: list[str]) -> None:
    """Write the identifiers numbered from free serials (`rows`: a mask) into the staged rows, which the
    INSERT otherwise numbers from the group's first serial, and say why."""
    conn.execute("UPDATE pg_temp.survey_staging s SET id = r.id, serial_rank = NULL "
                 "FROM unnest(%s::int[], %s::text[]) AS r (row_idx, id) WHERE s.row_idx = r.row_idx",
                 ([int(i) for i in staged.index[rows]], [str(i) for i in ids[rows]]))
    for group, free in sorted(allocation.reused.items()):
        notes.append(f"the serial counter of class {group[6:]} in county {group[:6]} has too few serials "
                     f"left below 999999 for {len(free)} new identifier(s) (a delivered identifier raises it "
                     f"to its own serial): they take the lowest free serials instead, {group}{free[0]:06d} "
                     "first")


def _identifiers_rejected(checked: Validated, rejected_in_db: set[int]) -> list[str]:
    """The identifiers written in rejected rows: a replace keeps their components, since --skip-invalid
    left the rows out, not the survey."""
    rejected = ~checked.valid
    rejected[list(rejected_in_db)] = True
    written = checked.rows.fields["id"][rejected]
    return [str(v) for v in pd.unique(written.dropna())]
