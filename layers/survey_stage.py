"""Staging and publishing of validated survey rows (inside the import's transaction).

The rows are COPY'd to a temporary table with their located codes and serial ranks, checked
against the inventory, and inserted into onemap.component in one statement. A large load
(`rebuild_indexes`) drops the secondary indexes of onemap.component before that INSERT and
rebuilds them after it, in the same transaction: building an index once over the table is
several times cheaper than a million index insertions. DROP INDEX holds an ACCESS EXCLUSIVE lock
on onemap.component until COMMIT, so readers of the inventory (tiles, OGC API features) wait
for the rest of the publish; the lock is taken only right before the INSERT. Writers of the inventory
run one at a time (layers.component_writes), so two imports never wait on each other's table lock.
"""

import binascii
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
import shapely
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from layers.distinct_values import from_distinct, is_missing
from layers.survey_versions import VERSION_UNTIL

STAGING_COLUMNS = ["row_idx", "id", "class_code", "name", "competent_dept_code",
                   "competent_dept_name", "owner_dept_code", "owner_dept_name",
                   "maintainer_dept_code", "maintainer_dept_name", "state", "initial_date",
                   "change_date", "data_source", "note", "attributes", "geometry_type", "geom",
                   "grid_code", "community_code", "county_code", "serial_rank", "fields_carried",
                   "attributes_carried", VERSION_UNTIL]
_SQL_DIR = Path(__file__).parent / "sql"
# Auto mode rebuilds the indexes when the load is at least this large and at least half the
# table: measured, an index build costs ~12 µs per row of the table, incremental insertion into
# the seven indexes ~43 µs per loaded row.
REBUILD_MIN_ROWS = 20_000
_COPY_CHUNK = 20_000  # rows per COPY message batch
_BUILT = ("row_idx", "geom", "serial_rank")  # staging columns onemap writes itself: numbers and hex
_CSV_OPTIONS = pa_csv.WriteOptions(include_header=False)
_SECONDARY_INDEXES_SQL = """
SELECT i.relname, pg_get_indexdef(x.indexrelid)
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
WHERE x.indrelid = 'onemap.component'::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
ORDER BY i.relname
"""


def sql_text(name: str) -> str:
    return (_SQL_DIR / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class StagedRows:
    """The columns of the valid rows, in the order they are staged."""

    index: np.ndarray  # row numbers into the import's rows
    fields: pd.DataFrame  # standard fields of those rows
    attributes: np.ndarray  # jsonb text per row
    class_codes: np.ndarray
    geometry_types: np.ndarray
    geometries: np.ndarray
    grid: np.ndarray
    community: np.ndarray
    county: np.ndarray
    ranks: np.ndarray
    columns: np.ndarray | None = None  # upsert: per row, its file's FileColumns (carry_forward.sql)


def attributes_json(attributes: list[dict] | pd.DataFrame, index: np.ndarray) -> np.ndarray:
    """The free attributes of the rows `index` as JSON text, built a column at a time for a frame."""
    if not isinstance(attributes, pd.DataFrame):
        return np.array([json.dumps(attributes[i], ensure_ascii=False) for i in index], dtype=object)
    frame = attributes.iloc[index]
    text = np.full(len(index), "", dtype=object)
    for column in frame.columns:
        values = frame[column]
        key = json.dumps(str(column), ensure_ascii=False) + ":"
        if pd.api.types.infer_dtype(values, skipna=True) == "string":  # few distinct values: encode each once
            codes, distinct = pd.factorize(values)
            pieces = np.array([key + json.dumps(v, ensure_ascii=False) for v in distinct] + [""],
                              dtype=object)
            piece = pieces[codes]
        else:
            piece = np.array([_json_piece(key, v) for v in values.to_numpy(dtype=object)], dtype=object)
        separator = np.where((text != "") & (piece != ""), ",", "")
        text = text + separator + piece
    return np.asarray("{" + text + "}", dtype=object)


def _json_piece(key: str, value: Any) -> str:
    if is_missing(value):
        return ""
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, int | float | bool | str | dict | list):  # objects and arrays stay JSON
        value = str(value)
    return key + json.dumps(value, ensure_ascii=False, default=str)


def stage(conn: psycopg.Connection, rows: StagedRows) -> None:
    """COPY the rows into a temporary staging table as CSV that Arrow writes, a chunk at a time.

    Each chunk's columns are built, written and handed to a writer thread in turn, so that the server
    parses one chunk while Python builds the next.
    """
    _room_for_temp_tables(conn, len(rows.index))
    conn.execute(sql_text("staging.sql"))
    worked_out: dict[str, np.ndarray] = {  # by onemap; they win over a survey field of the same name
        "class_code": rows.class_codes, "attributes": rows.attributes, "geometry_type": rows.geometry_types,
        "grid_code": rows.grid, "community_code": rows.community, "county_code": rows.county}
    surveyed = {name: rows.fields[name].to_numpy(dtype=object) for name in rows.fields.columns}
    values = {**surveyed, **worked_out, **_carried(rows.columns)}
    names = [name for name in STAGING_COLUMNS if name in _BUILT or name in values]
    statement = sql.SQL("COPY pg_temp.survey_staging ({}) FROM STDIN (FORMAT csv)").format(
        sql.SQL(", ").join(map(sql.Identifier, names)))
    # Arrow quotes every string and leaves NULL unquoted and empty, which is how COPY's CSV format
    # tells '' from NULL
    with conn.cursor() as cursor, cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        for start in range(0, len(rows.index), _COPY_CHUNK):
            part = slice(start, start + _COPY_CHUNK)
            batch = pa.record_batch([_built_column(name, rows, part) if name in _BUILT
                                     else _text_column(values[name][part]) for name in names], names=names)
            sink = io.BytesIO()
            pa_csv.write_csv(batch, sink, _CSV_OPTIONS)
            copy.write(sink.getvalue())


def _carried(columns: np.ndarray | None) -> dict[str, np.ndarray]:
    """The fields_carried and attributes_carried staging columns: per row, its file's columns as array
    literals (one per file)."""
    if columns is None:
        return {}
    codes, distinct = pd.factorize(columns)
    return {"fields_carried": from_distinct(np.array([_array_literal(sorted(c.fields)) for c in distinct],
                                                     dtype=object), codes, None),
            "attributes_carried": from_distinct(np.array([_array_literal(c.attributes) for c in distinct],
                                                         dtype=object), codes, None)}


def _array_literal(items: Sequence[str]) -> str:
    """A PostgreSQL text[] literal: each element double-quoted, its backslashes and quotes escaped."""
    quoted = ('"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"' for item in items)
    return "{" + ",".join(quoted) + "}"


def _built_column(name: str, rows: StagedRows, part: slice) -> pa.Array:
    if name == "row_idx":
        return pa.array(rows.index[part], type=pa.int64())
    if name == "serial_rank":
        ranks = rows.ranks[part]
        return pa.array(ranks, type=pa.int64(), mask=ranks < 0)
    return _ewkb_hex(shapely.set_srid(rows.geometries[part], 4490))


def _ewkb_hex(geometries: np.ndarray) -> pa.Array:
    """The geometries as hex EWKB text, which PostGIS reads as geometry input.

    GEOS writes binary WKB; the binary of the whole chunk is joined into one buffer and hex-encoded
    at once, which made the stage faster than GEOS's own hex writer did (docs/survey-import.md,
    Staging). Staged rows always have a geometry.
    """
    binary = shapely.to_wkb(geometries, hex=False, include_srid=True)
    lengths = np.fromiter(map(len, binary), dtype=np.int64, count=len(binary))
    offsets = np.zeros(len(binary) + 1, dtype=np.int64)
    np.cumsum(2 * lengths, out=offsets[1:])
    text = binascii.hexlify(b"".join(binary))
    return pa.Array.from_buffers(pa.large_string(), len(binary),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(text)])


def _text_column(values: np.ndarray) -> pa.Array:
    """A column as Arrow text, NULL for None and NaN; each distinct value is converted once, since survey
    columns repeat few values."""
    if pd.isna(values).all():  # survey fields nobody filled in
        return pa.nulls(len(values), type=pa.string())
    codes, distinct = pd.factorize(pd.Series(values, dtype=object))
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0),
                                          pa.array([str(v) for v in distinct], type=pa.string()))


def _room_for_temp_tables(conn: psycopg.Connection, rows: int) -> None:
    """Keep a large staging table in memory: temp_buffers (8 MB by default) sized to ~300 B a row.

    PostgreSQL accepts the setting only before a session's first temporary table; a session
    that already had one (a pooled API connection) keeps its value.
    """
    megabytes = min(512, max(8, rows * 300 // 2**20))
    try:
        with conn.transaction():
            conn.execute(sql.SQL("SET LOCAL temp_buffers = {}").format(sql.Literal(f"{megabytes}MB")))
    except psycopg.errors.InvalidParameterValue:
        pass


def duplicate_candidates(conn: psycopg.Connection, rows: StagedRows, scheme: str,
                         distance_m: float) -> np.ndarray | None:
    """Staged rows near a stored component of their class, found from the smaller side.

    None when the inventory's current components of the delivered classes outnumber the staged
    rows: then each staged row probes the inventory's spatial index in SQL. Otherwise the stored
    ones are fetched and looked up in an STRtree of the staged rows with the same degree
    prefilter (slightly widened) that the SQL applies before its exact checks, which then run on
    the candidates only.
    """
    classes = sorted({str(c) for c in rows.class_codes})
    if not classes or not len(rows.index):
        return np.array([], dtype=np.int64)
    count = conn.execute("SELECT count(*) FROM onemap.component WHERE valid_to IS NULL AND scheme = %s "
                         "AND class_code = ANY(%s)", (scheme, classes)).fetchone()
    if count is None or int(count[0]) > len(rows.index):
        return None
    stored = conn.execute("SELECT class_code, ST_AsBinary(geom) FROM onemap.component "
                          "WHERE valid_to IS NULL AND scheme = %s AND class_code = ANY(%s)",
                          (scheme, classes)).fetchall()
    if not stored:
        return np.array([], dtype=np.int64)
    stored_classes = np.array([c for c, _ in stored], dtype=object)
    tree = shapely.STRtree(rows.geometries)
    near, staged = tree.query(shapely.from_wkb([w for _, w in stored]), predicate="dwithin",
                              distance=distance_m / 100000.0 * 1.001)
    same = stored_classes[near] == rows.class_codes[staged]
    return np.unique(rows.index[staged[same]])


def secondary_indexes(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the indexes of onemap.component that back no constraint."""
    return [(str(name), str(definition)) for name, definition in conn.execute(_SECONDARY_INDEXES_SQL)]


def table_rows(conn: psycopg.Connection) -> int:
    """The planner's estimate of onemap.component's rows (no lock, no scan)."""
    row = conn.execute("SELECT greatest(reltuples, 0)::bigint FROM pg_class "
                       "WHERE oid = 'onemap.component'::regclass").fetchone()
    return int(row[0]) if row else 0


def wants_rebuild(loading: int, stored: int) -> bool:
    """Whether dropping and rebuilding the indexes beats inserting into them (see REBUILD_MIN_ROWS)."""
    return loading >= REBUILD_MIN_ROWS and 2 * loading >= stored


def insert(conn: psycopg.Connection, params: dict[str, Any], *, rebuild: bool) -> None:
    """The INSERT of publish.sql, with the secondary indexes dropped and rebuilt around it if asked."""
    statement = sql_text("insert.sql")
    if not rebuild:
        conn.execute(statement, params)
        return
    indexes = secondary_indexes(conn)
    for name, _ in indexes:
        conn.execute(sql.SQL("DROP INDEX onemap.{}").format(sql.Identifier(name)))
    conn.execute(statement, params)
    conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for _, definition in indexes:
        conn.execute(definition.encode())  # the catalog's own DDL text (pg_get_indexdef)
