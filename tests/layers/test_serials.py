"""Serial allocation against the real database, including concurrent imports."""

from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from gis.errors import InvalidParameter
from layers.serials import allocate_serials


def _allocate(db_url: str, count: int, county: str = "440304", cls: str = "0101") -> range:
    with psycopg.connect(db_url) as conn:
        serials = allocate_serials(conn, county_code=county, scheme="legacy", class_code=cls,
                                   count=count)
        conn.commit()
        return serials


def test_serials_are_consecutive_and_start_after_the_last(conn):
    first = allocate_serials(conn, county_code="440304", scheme="gb47678", class_code="01001",
                             count=3)
    second = allocate_serials(conn, county_code="440304", scheme="gb47678", class_code="01001",
                              count=2)
    assert list(first) == [1, 2, 3]
    assert list(second) == [4, 5]


def test_counters_are_separate_per_county_scheme_and_class(conn):
    a = allocate_serials(conn, county_code="440304", scheme="gb47678", class_code="01092", count=1)
    b = allocate_serials(conn, county_code="440305", scheme="gb47678", class_code="01092", count=1)
    c = allocate_serials(conn, county_code="440304", scheme="gb47678", class_code="01093", count=1)
    assert a == b == c == range(1, 2)


def test_concurrent_imports_never_receive_the_same_serial(db_url):
    with ThreadPoolExecutor(max_workers=8) as pool:
        batches = list(pool.map(lambda n: _allocate(db_url, n, cls="0299"), [5] * 40))
    serials = [s for batch in batches for s in batch]
    assert len(serials) == len(set(serials)) == 200
    assert sorted(serials) == list(range(min(serials), min(serials) + 200))


def test_rolled_back_reservation_leaves_a_gap_not_a_duplicate(db_url):
    with psycopg.connect(db_url) as conn:
        allocate_serials(conn, county_code="440304", scheme="legacy", class_code="0301", count=10)
        conn.rollback()
    after = _allocate(db_url, 1, cls="0301")
    assert after == range(1, 2)  # the rolled-back counter row never existed


def test_a_used_up_counter_hands_out_the_lowest_free_serials(conn):
    """A counter at its end (one delivered identifier ending in 999999 puts it there) leaves new components
    the serials no version of the inventory and no identifier of the import uses."""
    allocate_serials(conn, county_code="440304", scheme="legacy", class_code="0401", count=999_990)
    conn.execute("INSERT INTO onemap.component (id, scheme, class_code, name, geometry_type, geom, "
                 "competent_dept_name, changed_by, change_source) SELECT '4403040401000002', 'legacy', "
                 "'0401', 'x', geometry_type, geom, 'x', 'pytest', 'pytest' FROM onemap.component LIMIT 1")
    free = allocate_serials(conn, county_code="440304", scheme="legacy", class_code="0401", count=10,
                            taken=[4])
    assert list(free) == [1, 3, *range(5, 13)]


def test_exhausted_serial_space_is_a_clear_error(conn):
    allocate_serials(conn, county_code="440304", scheme="legacy", class_code="0401", count=999_990)
    with pytest.raises(InvalidParameter, match="exhausted: 5 of 999999 are free, 10 needed"):
        allocate_serials(conn, county_code="440304", scheme="legacy", class_code="0401", count=10,
                         taken=range(1, 999_995))


@pytest.mark.parametrize(
    ("scheme", "class_code", "count"),
    [("legacy", "01001", 1), ("gb47678", "0101", 1), ("other", "0101", 1), ("legacy", "0101", 0)],
    ids=["legacy-with-5-digits", "gb47678-with-4-digits", "unknown-scheme", "zero-count"],
)
def test_malformed_requests_are_refused(conn, scheme, class_code, count):
    with pytest.raises(InvalidParameter):
        allocate_serials(conn, county_code="440304", scheme=scheme, class_code=class_code,
                         count=count)
