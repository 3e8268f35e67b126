"""Legacy ↔ GB/T 47678.5 mapping by name and its report."""

from importlib import resources

import pytest

from grid_codes.classes import KINDS, ClassTable, Kind, default_table
from grid_codes.scheme_mapping import build_mapping, mapping_report, normalise_name


def test_component_mapping_tiers() -> None:
    mapping = build_mapping("component")
    assert (mapping.count("exact"), mapping.count("normalised"), mapping.count("synonym")) == (
        61,
        4,
        1,
    )
    assert len(mapping.unmapped_legacy) == 85 - 66
    assert len(mapping.unmapped_gb47678) == 153 - 66


def test_event_mapping_tiers() -> None:
    mapping = build_mapping("event")
    assert (mapping.count("exact"), mapping.count("normalised"), mapping.count("synonym")) == (
        28,
        2,
        0,
    )
    assert len(mapping.unmapped_legacy) == 54 - 30
    assert len(mapping.unmapped_gb47678) == 250 - 30


@pytest.mark.parametrize(
    ("kind", "legacy", "gb47678", "how"),
    [
        ("component", "0102", "01002", "exact"),
        ("component", "0501", "03008", "exact"),
        ("component", "0134", "01048", "normalised"),
        ("component", "0114", "01023", "synonym"),
        ("event", "0115", "06020", "normalised"),
        ("event", "0407", "10001", "normalised"),
    ],
    ids=[
        "污水井盖",
        "宣传栏-moves-major",
        "变压器(箱)",
        "无主井盖=不明井盖",
        "焚烧垃圾、树叶",
        "积雪、结冰",
    ],
)
def test_known_matches(kind: Kind, legacy: str, gb47678: str, how: str) -> None:
    mapping = build_mapping(kind)
    match = mapping.to_gb47678(legacy)
    assert match is not None
    assert (match.gb47678.code.code, match.how) == (gb47678, how)
    assert mapping.to_legacy(gb47678) == match


@pytest.mark.parametrize(
    ("kind", "legacy"),
    [("component", "0101"), ("component", "0107"), ("component", "0407"), ("event", "0112")],
    ids=["上水-vs-供水", "通讯-vs-通信", "坐椅-vs-座椅", "遗撒-vs-遗撒（洒）"],
)
def test_look_alike_names_do_not_map(kind: Kind, legacy: str) -> None:
    mapping = build_mapping(kind)
    assert mapping.to_gb47678(legacy) is None
    assert legacy in {info.code.code for info in mapping.unmapped_legacy}


def test_mapping_is_one_to_one_and_partitions_both_sides() -> None:
    table = default_table()
    for kind in KINDS:
        mapping = build_mapping(kind)
        old = [m.legacy.code.code for m in mapping.matches]
        new = [m.gb47678.code.code for m in mapping.matches]
        assert len(set(old)) == len(old) and len(set(new)) == len(new)
        old_all = old + [i.code.code for i in mapping.unmapped_legacy]
        new_all = new + [i.code.code for i in mapping.unmapped_gb47678]
        assert sorted(old_all) == [i.code.code for i in table.classes("legacy", kind)]
        assert sorted(new_all) == [i.code.code for i in table.classes("gb47678", kind)]


def test_normalise_name_folds_brackets_and_drops_punctuation_only() -> None:
    assert normalise_name("变压器(箱)") == normalise_name("变压器（箱）") == "变压器箱"
    assert normalise_name("道路积雪、结冰") == "道路积雪结冰"
    assert normalise_name("道路遗撒（洒）") != normalise_name("道路遗撒")


def test_report_lists_unmapped_classes_in_both_directions() -> None:
    report = mapping_report()
    assert "component: 66 of 85 legacy classes map (61 exact, 4 normalised, 1 synonym)" in report
    assert "event: 30 of 54 legacy classes map (28 exact, 2 normalised, 0 synonym)" in report
    assert "  legacy component classes without a gb47678 counterpart (19):" in report
    assert "  gb47678 event classes without a legacy counterpart (220):" in report
    assert "    0101 上水井盖 [01 公用设施]" in report
    assert "    01001 供水井盖 [01 市政公用设施]" in report
    assert "    synonym: 0114 无主井盖 -> 01023 不明井盖" in report


def test_synonym_needs_its_evidence_in_the_csv_notes() -> None:
    tables = resources.files("grid_codes") / "tables"
    components = (tables / "components.csv").read_text(encoding="utf-8")
    events = (tables / "events.csv").read_text(encoding="utf-8")
    assert components.count(",Beijing-Chaoyang list has 不明井盖") == 1
    stripped = ClassTable.from_csv(components.replace(",Beijing-Chaoyang list has 不明井盖", ","), events)
    assert build_mapping("component", stripped).to_gb47678("0114") is None
    assert build_mapping("component").to_gb47678("0114") is not None
