"""Benchmark: `onemap import components` of N point components vs a plain `ogr2ogr -f PostgreSQL` load.

Issue goal: onemap's full import (reading, validation, duplicate checks, grid assignment,
identifier allocation, one publishing transaction) within 1.5x the time of Debian's ogr2ogr
loading the same GeoPackage with no validation, both measured in the same run.

The script builds a database `onemap_bench_import` on the server (migrations, the demo city,
its unit grid and its component census, as `onemap demo` loads them), generates N points
reproducibly inside the city in four GB/T 47678.5 point classes with the field names of the
default mapping and no identifiers (so the import allocates them), thinned so that no two of a
class lie within 0.6 m (the import's duplicate check runs in full and finds nothing), and
writes them to a GeoPackage (EPSG:4490). Every run loads into a fresh clone of that database,
alternating the order of the peers; a CHECKPOINT precedes every measurement. ogr2ogr runs with
its defaults and again with `--config PG_USE_COPY YES`, which GDAL 3.6 already uses by default
for a new table (`--debug ON` shows PQputCopyEnd either way). The per-stage times come from one
more import run in-process with a progress callback and a cursor that times each statement;
--floor adds the cost of merely inserting the ogr2ogr table into onemap.component, and
--price-schema what each part of onemap.component's schema costs on that run's database (each
secondary index built alone, the rows inserted again with each INSERT trigger alone, and without
the CHECK constraints), every step rolled back.

    .venv/bin/python bench/import_components.py [--rows 1000000] [--repeat 1] [--url URL]
                                                [--floor] [--price-schema] [--no-stages] [--keep]
                                                [--stage-setup SQL ...]
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import psycopg
import shapely
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gis.crs import CGCS2000, gauss_kruger_epsg, transformer  # noqa: E402
from gis.database import local_cluster  # noqa: E402
from gis.demo import futian  # noqa: E402
from gis.localdb import create_extensions  # noqa: E402
from gis.migrations import migrate  # noqa: E402
from gis.settings import Settings  # noqa: E402
from layers.survey_import import ImportOptions, import_components  # noqa: E402
from layers.survey_stage import secondary_indexes  # noqa: E402

TEMPLATE_DB = "onemap_bench_import"
RUN_DB = "onemap_bench_import_run"
OGR_TABLE = "bench_ogr"
THIN_M = 0.6  # above the import's duplicate distance (0.5 m), so no generated row is a duplicate
# class: (share of rows, competent department 主管部门名称)
CLASSES = {
    "01037": (0.30, "福田区城市管理和综合执法局"),  # 路灯
    "04002": (0.40, "福田区城市管理和综合执法局"),  # 行道树
    "03005": (0.15, "福田区环境卫生管理处"),  # 垃圾箱
    "01003": (0.15, "福田区水务局"),  # 雨水井盖
}
MAINTAINERS = np.array(["深圳市福田区市政养护公司", "深圳市绿化管养有限公司", "深圳市环卫清洁服务有限公司"],
                       dtype=object)
MATERIALS = np.array(["铸铁", "不锈钢", "复合材料", "钢筋混凝土"], dtype=object)
NOTES = np.array(["近公交站", "小区出入口", "施工围挡内"], dtype=object)


# ---- setup -------------------------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    info = conninfo_to_dict(url)
    info["dbname"] = name
    return make_conninfo(**info)


def server_url(arg: str | None) -> str:
    """--url, else the maintenance database of the project-local cluster (started when down)."""
    if arg:
        return arg
    cluster = local_cluster(Settings())
    return with_database(cluster.up(), "postgres")


def drop_database(admin: psycopg.Connection, name: str) -> None:
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def build_template(server: str) -> str:
    """The bench database: extensions, migrations, the demo city, its unit grid and census."""
    with psycopg.connect(server, autocommit=True) as admin:
        drop_database(admin, RUN_DB)
        drop_database(admin, TEMPLATE_DB)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE_DB)))
    url = with_database(server, TEMPLATE_DB)
    with psycopg.connect(url, autocommit=True) as conn, tempfile.TemporaryDirectory() as workdir:
        create_extensions(conn)
        migrate(conn)
        city = futian.build(Settings().data_dir)
        futian.load(conn, city)
        futian.divide_grid(conn, city)
        census = futian.load_components(conn, city, Path(workdir))
        if census.status != "committed":
            raise SystemExit(f"the demo census did not load: {census.rejections[:3]}")
        conn.execute("VACUUM ANALYZE")
    return url


@contextmanager
def fresh_clone(server: str) -> Iterator[str]:
    """A clone of the bench database, dropped afterwards."""
    with psycopg.connect(server, autocommit=True) as admin:
        drop_database(admin, RUN_DB)
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(RUN_DB), sql.Identifier(TEMPLATE_DB)))
    try:
        yield with_database(server, RUN_DB)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            drop_database(admin, RUN_DB)


# ---- the survey --------------------------------------------------------------------------------------


def generate(template_url: str, rows: int, seed: int) -> gpd.GeoDataFrame:
    """N points inside the county, per class never within THIN_M of another or of a stored component."""
    with psycopg.connect(template_url) as conn:
        wkb, = conn.execute("SELECT ST_AsBinary(ST_Union(geom)) FROM onemap.admin_area "
                            "WHERE level = 'county'").fetchone() or (None,)
        stored = conn.execute("SELECT class_code, ST_X(geom), ST_Y(geom) FROM onemap.component "
                              "WHERE valid_to IS NULL AND geometry_type = 'point'").fetchall()
    if wkb is None:
        raise SystemExit("the bench database has no county polygon")
    county = shapely.from_wkb(wkb)
    shapely.prepare(county)
    to_metres = transformer(CGCS2000, gauss_kruger_epsg(county.centroid.x))
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = county.bounds
    fill = county.area / ((x1 - x0) * (y1 - y0))
    codes = list(CLASSES)
    wanted = [round(rows * CLASSES[code][0]) for code in codes[:-1]]
    wanted.append(rows - sum(wanted))
    points, classes = [], []
    for code, n in zip(codes, wanted, strict=True):
        near = np.array([(x, y) for c, x, y in stored if c == code]).reshape(-1, 2)
        lonlat = np.empty((0, 2))
        while len(lonlat) < n:
            draw = int((n - len(lonlat)) * 1.02 / fill) + 1000
            x, y = rng.uniform(x0, x1, draw), rng.uniform(y0, y1, draw)
            inside = shapely.contains_xy(county, x, y)
            lonlat = np.concatenate([lonlat, np.column_stack([x[inside], y[inside]])])
            lonlat = lonlat[_apart(to_metres, lonlat, near)]
        points.append(lonlat[:n])
        classes.append(np.full(n, code, dtype=object))
    order = rng.permutation(rows)  # classes interleaved, as in a real survey
    lonlat = np.concatenate(points)[order]
    return _frame(rng, np.concatenate(classes)[order], lonlat[:, 0], lonlat[:, 1])


def _apart(to_metres: Any, lonlat: np.ndarray, stored: np.ndarray) -> np.ndarray:
    """Mask of the points to keep: the first of any pair closer than THIN_M, none near a stored one."""
    x, y = to_metres.transform(lonlat[:, 0], lonlat[:, 1])
    points = shapely.points(x, y)
    tree = shapely.STRtree(points)
    left, right = tree.query(points, predicate="dwithin", distance=THIN_M)
    keep = np.ones(len(points), dtype=bool)
    keep[right[left < right]] = False
    if len(stored):
        sx, sy = to_metres.transform(stored[:, 0], stored[:, 1])
        _, near = tree.query(shapely.points(sx, sy), predicate="dwithin", distance=THIN_M)
        keep[near] = False
    return keep


def _frame(rng: np.random.Generator, classes: np.ndarray, lon: np.ndarray, lat: np.ndarray
           ) -> gpd.GeoDataFrame:
    n = len(classes)
    depts = {code: dept for code, (_, dept) in CLASSES.items()}
    days = rng.integers(0, 15 * 365, n).astype("timedelta64[D]") + np.datetime64("2010-01-01")
    notes = np.where(rng.random(n) < 0.05, NOTES[rng.integers(0, len(NOTES), n)], None)
    return gpd.GeoDataFrame({
        "XLDM": classes,  # 小类代码
        "ZGBMMC": [depts[c] for c in classes],  # 主管部门名称 (mandatory)
        "YHDWMC": MAINTAINERS[rng.integers(0, len(MAINTAINERS), n)],  # 养护单位名称
        "CSRQ": np.char.replace(np.datetime_as_string(days, unit="D"), "-", "").astype(object),  # 初始日期
        "SJLY": "普查",  # 数据来源
        "BZ": notes,  # 备注
        "材质": MATERIALS[rng.integers(0, len(MATERIALS), n)],  # not a standard field: attributes
    }, geometry=shapely.points(lon, lat), crs=CGCS2000)


# ---- the peers ---------------------------------------------------------------------------------------


def checkpoint(url: str) -> None:
    """Start each measurement with no dirty buffers left by the previous one."""
    with psycopg.connect(url, autocommit=True) as conn, suppress(psycopg.errors.InsufficientPrivilege):
        conn.execute("CHECKPOINT")


def _quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def run_ogr2ogr(ogr2ogr: str, gpkg: Path, url: str, *, use_copy: bool) -> float:
    """A plain load with ogr2ogr's defaults (with `--config PG_USE_COPY YES` when use_copy)."""
    info = conninfo_to_dict(url)
    target = "PG:" + " ".join(f"{key}={_quoted(str(info[key]))}"
                              for key in ("host", "port", "dbname", "user") if info.get(key))
    config = ["--config", "PG_USE_COPY", "YES"] if use_copy else []
    command = [ogr2ogr, *config, "-f", "PostgreSQL", target, str(gpkg), "-nln", OGR_TABLE,
               "-lco", "GEOMETRY_NAME=geom", "-overwrite"]
    env = {**os.environ, "PGPASSWORD": str(info.get("password") or "")}
    checkpoint(url)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"ogr2ogr failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return seconds


def run_onemap(gpkg: Path, url: str, workdir: Path, rows: int) -> float:
    """`onemap import components FILE --scheme gb47678` as a subprocess against `url`."""
    report = workdir / "report.json"
    command = [str(Path(sys.executable).parent / "onemap"), "import", "components", str(gpkg),
               "--scheme", "gb47678", "--report", str(report)]
    env = {**os.environ, "ONEMAP_DATABASE_URL": url}
    checkpoint(url)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"onemap import failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    result = json.loads(report.read_text(encoding="utf-8"))
    if result["status"] != "committed" or result["rows_loaded"] != rows:
        raise SystemExit(f"onemap import loaded {result['rows_loaded']} of {rows} rows ({result['status']}); "
                         f"rejections per field: {result['rejections_per_field']}")
    return seconds


def count_rows(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
    return int(row[0]) if row else 0


_FLOOR_SQL = f"""
INSERT INTO onemap.component (
    id, scheme, class_code, name, competent_dept_name, maintainer_dept_name, state, initial_date,
    data_source, note, attributes, geometry_type, geom, changed_by, change_source, batch_id)
SELECT county.code || o.xldm || lpad((100000 + row_number() OVER (PARTITION BY o.xldm ORDER BY o.fid))::text,
                                     6, '0'),
       'gb47678', o.xldm, '部件', o.zgbmmc, o.yhdwmc, '完好', to_date(o.csrq, 'YYYYMMDD'), o.sjly, o.bz,
       jsonb_build_object('材质', o."材质"), 'point', o.geom, 'bench', 'bench', %(batch)s
FROM {OGR_TABLE} o, (SELECT code FROM onemap.admin_area WHERE level = 'county' LIMIT 1) county
ORDER BY o.fid
"""


def insert_floor(url: str) -> float:
    """INSERT … SELECT of the ogr2ogr table into onemap.component: the schema's share, no checks at all."""
    with psycopg.connect(url) as conn:
        batch = conn.execute(
            "INSERT INTO onemap.import_batch (kind, sources, actor, mode, scheme, dry_run) "
            "VALUES ('components', '{bench}', 'bench', 'append', 'gb47678', false) RETURNING id").fetchone()
        conn.commit()
        checkpoint(url)
        start = time.perf_counter()
        conn.execute(_FLOOR_SQL, {"batch": batch[0] if batch else None})
        conn.commit()
        return time.perf_counter() - start


# ---- per-stage times ---------------------------------------------------------------------------------


class TimedCursor(psycopg.Cursor[Any]):
    """Records the duration of every execute() under the first line of its SQL."""

    log: ClassVar[list[tuple[str, float]]] = []

    def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None,
                binary: bool | None = None) -> "TimedCursor":
        start = time.perf_counter()
        try:
            super().execute(query, params, prepare=prepare, binary=binary)
        finally:
            text = (query if isinstance(query, str) else query.decode() if isinstance(query, bytes)
                    else query.as_string(self.connection))
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            # publish.sql: the numbered comment of the step, even below the file's header comment
            first = next((line for line in lines if re.match(r"-- \d+\. ", line)), lines[0] if lines else "")
            self.log.append((first.removeprefix("-- ")[:60], time.perf_counter() - start))
        return self


@dataclass
class Stages:
    total: float
    stages: list[tuple[str, float]]


def stage_times(gpkg: Path, url: str, rows: int) -> Stages:
    """Run the import in-process; split its time by the progress callback and the SQL statements."""
    marks: dict[tuple[str, bool], float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        marks[(stage, done > 0 or total == 0)] = time.perf_counter()

    TimedCursor.log.clear()
    checkpoint(url)
    factory: Callable[..., Any] = TimedCursor
    with psycopg.connect(url, autocommit=True, cursor_factory=factory) as conn:
        start = time.perf_counter()
        result = import_components(conn, [gpkg], ImportOptions(scheme="gb47678"), progress)
        end = time.perf_counter()
    if result.status != "committed" or result.rows_loaded != rows:
        raise SystemExit(f"in-process import: {result.status}, {result.rows_loaded} of {rows} rows")
    log = TimedCursor.log
    publish_sql = [(label, s) for label, s in log if label[:2] in {f"{i}." for i in range(1, 10)}]
    index_ddl = ("CREATE INDEX", "CREATE UNIQUE INDEX", "DROP INDEX")
    indexes = sum(s for label, s in log if label.startswith(index_ddl))
    serials = sum(s for label, s in log if "component_serials" in label or "right(id, 6)" in label)
    publish = marks[("publish", True)] - marks[("publish", False)]
    stages = [
        ("read (pyogrio, mapping, CRS)", marks[("read", True)] - start),
        ("end of reading, roads check (layers/survey_offsets.py)",
         marks[("validate", False)] - marks[("read", True)]),
        ("validate (+ city extent query)", marks[("validate", True)] - marks[("validate", False)]),
        ("begin, batch row", marks[("locate", False)] - marks[("validate", True)]),
        ("locate cells (STRtree) + attributes JSON", marks[("locate", True)] - marks[("locate", False)]),
        ("stage (CSV + COPY)", marks[("load", True)] - marks[("load", False)]),
        ("checks against the inventory", marks[("publish", False)] - marks[("load", True)]),
        ("publish", publish),
        ("  serial allocation", serials),
        *[(f"  {label}", s) for label, s in publish_sql],
        ("  index drop + rebuild", indexes),
        ("  other (counts, layers, batch row)",
         publish - serials - indexes - sum(s for _, s in publish_sql)),
        ("commit", end - marks[("publish", True)]),
    ]
    return Stages(end - start, stages)


# ---- what the schema costs ----------------------------------------------------------------------------

# the columns the publish INSERT writes (layers/sql/insert.sql)
_WRITTEN = ("id, scheme, class_code, name, competent_dept_code, competent_dept_name, owner_dept_code, "
            "owner_dept_name, maintainer_dept_code, maintainer_dept_name, grid_code, street_code, "
            "community_code, state, initial_date, change_date, data_source, note, attributes, geometry_type, "
            "geom, changed_by, change_source, batch_id")
_INSERT_TRIGGERS_SQL = """
SELECT tgname FROM pg_trigger WHERE tgrelid = 'onemap.component'::regclass AND NOT tgisinternal
  AND (tgtype & 4) <> 0 ORDER BY tgname
"""


def price_schema(url: str) -> list[tuple[str, float]]:
    """Each part of onemap.component's schema priced on the rows the per-stage run loaded: every
    secondary index built alone; those rows inserted again with no trigger, each INSERT trigger alone,
    all of them, and with no trigger and no CHECK constraint. Nothing is kept."""
    priced: list[tuple[str, float]] = []
    with psycopg.connect(url) as conn:
        conn.execute(f"CREATE TEMP TABLE priced AS SELECT {_WRITTEN} FROM onemap.component "
                     "WHERE batch_id = (SELECT max(id) FROM onemap.import_batch) AND valid_to IS NULL")
        conn.execute("SET LOCAL maintenance_work_mem = '512MB'")  # as the publish's rebuild
        indexes = secondary_indexes(conn)
        for name, definition in indexes:
            with conn.transaction(force_rollback=True):
                conn.execute(sql.SQL("DROP INDEX onemap.{}").format(sql.Identifier(name)))
                priced.append((f"index {name}", _timed(conn, definition.encode())))
        for name, _ in indexes:
            conn.execute(sql.SQL("DROP INDEX onemap.{}").format(sql.Identifier(name)))
        triggers = [str(name) for name, in conn.execute(_INSERT_TRIGGERS_SQL)]
        conn.execute("ALTER TABLE onemap.component DISABLE TRIGGER USER")
        insert = f"INSERT INTO onemap.component ({_WRITTEN}) SELECT {_WRITTEN} FROM priced".encode()
        for label, enabled in [("INSERT, no trigger, no secondary index", []),
                               *[(f"  + trigger {t} alone", [t]) for t in triggers],
                               ("INSERT, every trigger, no secondary index", triggers)]:
            with conn.transaction(force_rollback=True):
                for trigger in enabled:
                    conn.execute(sql.SQL("ALTER TABLE onemap.component ENABLE TRIGGER {}").format(
                        sql.Identifier(trigger)))
                priced.append((label, _timed(conn, insert)))
        with conn.transaction(force_rollback=True):
            for name, in conn.execute("SELECT conname FROM pg_constraint WHERE conrelid = "
                                      "'onemap.component'::regclass AND contype = 'c'").fetchall():
                conn.execute(sql.SQL("ALTER TABLE onemap.component DROP CONSTRAINT {}").format(
                    sql.Identifier(name)))
            priced.append(("INSERT, no trigger, no secondary index, no CHECK", _timed(conn, insert)))
        conn.rollback()
    return priced


def _timed(conn: psycopg.Connection, statement: bytes) -> float:
    start = time.perf_counter()
    conn.execute(statement)
    return time.perf_counter() - start


# ---- main --------------------------------------------------------------------------------------------


def main() -> None:
    """Build the bench database and the survey, time the peers, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a PostgreSQL server's URL, superuser (default: the project-local "
                                      "cluster's postgres database)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="components to import")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each peer, alternating the order")
    parser.add_argument("--seed", type=int, default=47678)
    parser.add_argument("--no-stages", action="store_true", help="skip the in-process per-stage run")
    parser.add_argument("--floor", action="store_true",
                        help="also time INSERT … SELECT of the ogr2ogr table into onemap.component")
    parser.add_argument("--price-schema", action="store_true",
                        help="after the per-stage run, price each index, INSERT trigger and the CHECKs")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--stage-setup", action="append", default=[], metavar="SQL",
                        help="run on the per-stage run's database first (repeatable), e.g. 'ALTER TABLE "
                             "onemap.component DISABLE TRIGGER tile_component_cell_ins' to price one trigger")
    args = parser.parse_args()
    ogr2ogr = shutil.which("ogr2ogr")
    if ogr2ogr is None:
        raise SystemExit("ogr2ogr not found: install Debian's gdal-bin (apt-get install gdal-bin; "
                         "scripts/install-system-packages.sh does)")
    version = subprocess.run([ogr2ogr, "--version"], capture_output=True, text=True, check=True).stdout
    server = server_url(args.url)
    started = time.perf_counter()
    template = build_template(server)
    print(f"bench database {TEMPLATE_DB}: demo city + census built in {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory(prefix="onemap-bench-") as tmp:
        workdir = Path(tmp)
        gpkg = workdir / "components.gpkg"
        started = time.perf_counter()
        frame = generate(template, args.rows, args.seed)
        frame.to_file(gpkg, layer="components", engine="pyogrio")
        print(f"survey: {len(frame)} points, {frame['XLDM'].value_counts().sort_index().to_dict()}, "
              f"{gpkg.stat().st_size / 1e6:.0f} MB, generated in {time.perf_counter() - started:.1f} s")
        print(f"peer: {version.strip()}")
        runs = []
        for i in range(args.repeat):
            with fresh_clone(server) as url:
                times: dict[str, float] = {}
                peers = ["ogr", "ogr_copy", "onemap"]
                for peer in peers if i % 2 == 0 else peers[::-1]:
                    if peer == "onemap":
                        times[peer] = run_onemap(gpkg, url, workdir, args.rows)
                    else:
                        times[peer] = run_ogr2ogr(ogr2ogr, gpkg, url, use_copy=peer == "ogr_copy")
                        if count_rows(url, OGR_TABLE) != args.rows:
                            raise SystemExit("ogr2ogr did not load every row")
                runs.append(times)
        print()
        print(f"{'run':>6} {'rows':>9} {'ogr2ogr s':>10} {'ogr2ogr COPY s':>15} {'onemap s':>9}"
              f" {'onemap/ogr2ogr':>15}")
        for i, t in enumerate(runs, start=1):
            print(f"{i:>6} {args.rows:>9} {t['ogr']:>10.2f} {t['ogr_copy']:>15.2f} {t['onemap']:>9.2f}"
                  f" {t['onemap'] / t['ogr']:>14.2f}x")
        if len(runs) > 1:
            med = {k: statistics.median(t[k] for t in runs) for k in runs[0]}
            print(f"{'median':>6} {args.rows:>9} {med['ogr']:>10.2f} {med['ogr_copy']:>15.2f}"
                  f" {med['onemap']:>9.2f} {med['onemap'] / med['ogr']:>14.2f}x")
        ratio = statistics.median(t["onemap"] for t in runs) / statistics.median(t["ogr"] for t in runs)
        print(f"goal onemap <= 1.5x ogr2ogr: {'met' if ratio <= 1.5 else 'NOT met'} ({ratio:.2f}x)")
        if args.floor:
            with fresh_clone(server) as url:
                run_ogr2ogr(ogr2ogr, gpkg, url, use_copy=False)
                insert = insert_floor(url)
            ogr = statistics.median(t["ogr"] for t in runs)
            onemap = statistics.median(t["onemap"] for t in runs)
            print(f"schema floor: INSERT … SELECT of the ogr2ogr table into onemap.component (its indexes,"
                  f" generated geom_3857, CHECKs, FK; nothing validated or located) {insert:.2f} s"
                  f" = {insert / ogr:.2f}x ogr2ogr; ogr2ogr + it {ogr + insert:.2f} s;"
                  f" onemap / that {onemap / (ogr + insert):.2f}x")
        if not args.no_stages:
            with fresh_clone(server) as url:
                if args.stage_setup:
                    with psycopg.connect(url, autocommit=True) as conn:
                        for statement in args.stage_setup:
                            conn.execute(statement.encode())  # the operator's own SQL, not user input
                    print(f"\nper-stage run after: {'; '.join(args.stage_setup)}")
                result = stage_times(gpkg, url, args.rows)
                priced = price_schema(url) if args.price_schema else []
            print(f"\nonemap per stage (in-process, {result.total:.2f} s;"
                  " the CLI adds start-up and the report)")
            for label, seconds in result.stages:
                print(f"  {label:<62} {seconds:>7.2f} s {seconds / result.total:>6.1%}")
            if priced:
                print("\nonemap.component's schema priced on those rows (each step rolled back)")
                bare = dict(priced)["INSERT, no trigger, no secondary index"]
                for label, seconds in priced:
                    extra = f" ({seconds - bare:+.2f} s)" if "trigger" in label and "alone" in label else ""
                    print(f"  {label:<62} {seconds:>7.2f} s{extra}")
    if not args.keep:
        with psycopg.connect(server, autocommit=True) as admin:
            drop_database(admin, TEMPLATE_DB)


if __name__ == "__main__":
    main()
