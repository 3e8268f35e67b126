"""Hypothesis strategies that generate structurally valid codes of every type."""

from hypothesis import strategies as st

from grid_codes.admin import PREFECTURES_WITHOUT_COUNTIES, PROVINCE_CODES


def _num(low: int, high: int, width: int) -> st.SearchStrategy[str]:
    """Zero-padded decimal strings in [low, high]."""
    return st.integers(low, high).map(lambda n: f"{n:0{width}d}")


provinces = st.sampled_from(sorted(PROVINCE_CODES))
vintages = st.integers(1980, 2100)

counties = st.one_of(
    st.builds(lambda p, a, c: p + a + c, provinces, _num(1, 99, 2), _num(1, 99, 2)),
    st.sampled_from(sorted(PREFECTURES_WITHOUT_COUNTIES)).map(lambda pre: pre + "00"),
)
prefectures = st.builds(lambda p, a: p + a + "00", provinces, _num(1, 99, 2))
admin_any_level = st.one_of(counties, prefectures, provinces.map(lambda p: p + "0000"))
streets = st.builds(str.__add__, counties, _num(1, 599, 3))
communities = st.builds(str.__add__, streets, _num(1, 999, 3))
grids = st.builds(str.__add__, communities, _num(1, 999, 3))
legacy_grids = st.builds(str.__add__, communities, _num(1, 99, 2))

legacy_classes = st.builds(str.__add__, _num(1, 99, 2), _num(1, 99, 2))
gb47678_classes = st.builds(str.__add__, _num(1, 99, 2), _num(1, 999, 3))
serials6 = _num(1, 999_999, 6)
legacy_component_ids = st.builds(lambda c, k, s: c + k + s, counties, legacy_classes, serials6)
gb47678_component_ids = st.builds(lambda c, k, s: c + k + s, counties, gb47678_classes, serials6)

device_ids = st.builds(
    lambda admin, unit, industry, kind, net, serial: admin + unit + industry + kind + net + serial,
    admin_any_level,
    _num(0, 99, 2),
    _num(0, 99, 2),
    _num(111, 999, 3),
    _num(0, 9, 1),
    _num(0, 999_999, 6),
)
