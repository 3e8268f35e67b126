"""Survey deliveries in folders and archives: members found, Chinese Windows names decoded, nothing unsafe."""

import shutil
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path

import geopandas as gpd
import libarchive
import psycopg
import pyogrio
import pytest
import shapely

from gis.errors import ImportValidationError
from layers.survey_deliveries import SurveyFile, survey_files, without_copies
from layers.survey_gather import read_rows
from layers.survey_import import ImportOptions
from layers.survey_read import read_survey
from tests.layers.test_survey_import import DEPT, _points_in_city, _run


class _LegacyName(zipfile.ZipInfo):
    """A member named in GBK without the UTF-8 flag, as archivers on Chinese Windows write them."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def _shapefile(folder: Path, name: str) -> list[Path]:
    frame = gpd.GeoDataFrame({"BJMC": ["上水井盖"]}, geometry=[shapely.Point(114.05, 22.54)], crs=4490)
    pyogrio.write_dataframe(frame, folder / f"{name}.shp", encoding="GBK")
    return sorted(folder.glob(f"{name}.*"))


def _zip(path: Path, members: dict[str, bytes], *, legacy: bool = False) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(_LegacyName(name) if legacy else name, data)
    return path


def test_each_survey_file_of_an_archive_is_read_under_the_archive_label(tmp_path: Path) -> None:
    files = [p for name in ("井盖", "路灯") for p in _shapefile(tmp_path, name)]
    parts = {f"普查/{p.name}": p.read_bytes() for p in files}
    archive = _zip(tmp_path / "delivery.zip", {**parts, "说明.txt": "readme".encode("gbk"),
                                               "__MACOSX/普查/._井盖.shp": b"fork"}, legacy=True)
    with survey_files([archive, tmp_path / "井盖.shp"]) as found:
        assert [f.label for f in found] == ["delivery.zip/普查/井盖.shp", "delivery.zip/普查/路灯.shp",
                                            "井盖.shp"]
        survey = read_survey(found[0].path)
        assert survey.attributes["BJMC"].tolist() == ["上水井盖"]  # the .cpg beside it came along
        unpacked = found[0].path
    assert not unpacked.exists()  # the temporary folder goes with the context


def test_a_geodatabase_folder_in_an_archive_is_one_survey_file(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"BJMC": ["路灯"]}, geometry=[shapely.Point(114.05, 22.54)], crs=4490)
    pyogrio.write_dataframe(frame, tmp_path / "census.gdb", driver="OpenFileGDB", layer="lamps")
    members = {f"census.gdb/{p.name}": p.read_bytes() for p in (tmp_path / "census.gdb").iterdir()}
    with survey_files([_zip(tmp_path / "gdb.zip", members)]) as found:
        assert [f.label for f in found] == ["gdb.zip/census.gdb"]
        assert read_survey(found[0].path).attributes["BJMC"].tolist() == ["路灯"]


def test_members_outside_the_folder_are_not_unpacked(tmp_path: Path) -> None:
    parts = {p.name: p.read_bytes() for p in _shapefile(tmp_path, "ok")}
    archive = _zip(tmp_path / "a.zip", {**parts, "../evil.csv": b"x,y\n1,2\n"})
    with survey_files([archive]) as found:
        assert [f.label for f in found] == ["a.zip/ok.shp"]
        unpacked_into = found[0].path.parent  # the archive's own folder in the scratch space
        assert not (unpacked_into.parent / "evil.csv").exists()  # where ../evil.csv would have gone


@pytest.mark.parametrize(("content", "message"), [
    ({"readme.txt": b"nothing"}, r"empty\.zip: the archive holds no survey file \(\.gpkg, \.shp"),
    (None, r"empty\.zip: cannot read the archive"),
])
def test_archives_without_surveys_are_errors(tmp_path: Path, content, message) -> None:
    path = tmp_path / "empty.zip"
    if content is None:
        path.write_bytes(b"not a zip")
    else:
        _zip(path, content)
    with pytest.raises(ImportValidationError, match=message), survey_files([path]):
        pass


def test_a_delivery_folder_is_walked_for_survey_files_and_archives(tmp_path: Path) -> None:
    census = tmp_path / "普查成果"
    for street in ("福田街道", "华富街道"):
        (census / street).mkdir(parents=True)
        _shapefile(census / street, "井盖")
    (census / "福田街道" / "._井盖.shp").write_bytes(b"\x00\x05\x16\x07")  # a Mac's resource fork
    (census / "~$部件汇总表.xlsx").write_bytes(b"lock")  # a workbook open in Excel
    (census / ".git").mkdir()
    (census / ".git" / "old.csv").write_text("x,y\n")
    frame = gpd.GeoDataFrame({"BJMC": ["路灯"]}, geometry=[shapely.Point(114.05, 22.54)], crs=4490)
    pyogrio.write_dataframe(frame, census / "历史.gdb", driver="OpenFileGDB", layer="lamps")
    parts = {p.name: p.read_bytes() for p in _shapefile(tmp_path, "路灯")}
    _zip(census / "补测.zip", parts)
    _zip(census / "照片.zip", {"1.jpg": b"jpeg"})
    with survey_files([census]) as found:
        assert [(f.label, f.named) for f in found] == [
            ("普查成果/历史.gdb", False), ("普查成果/补测.zip/路灯.shp", False),
            ("普查成果/华富街道/井盖.shp", False), ("普查成果/福田街道/井盖.shp", False)]
        assert read_survey(found[1].path).attributes["BJMC"].tolist() == ["上水井盖"]


def test_a_folder_without_survey_files_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "说明.docx").write_bytes(b"doc")
    with pytest.raises(ImportValidationError, match=r"the folder holds no survey file \(\.gpkg"), \
            survey_files([tmp_path]):
        pass


def test_archive_members_in_backslashed_folders_and_resource_forks_beside_them(tmp_path: Path) -> None:
    parts = {f"普查\\{p.name}": p.read_bytes() for p in _shapefile(tmp_path, "井盖")}
    archive = _zip(tmp_path / "win.zip", {**parts, "普查\\._井盖.shp": b"\x00\x05\x16\x07",
                                          "..\\evil.csv": b"x,y\n1,2\n"}, legacy=True)
    with survey_files([archive]) as found:
        assert [f.label for f in found] == ["win.zip/普查/井盖.shp"]
        assert read_survey(found[0].path).attributes["BJMC"].tolist() == ["上水井盖"]
        assert not (found[0].path.parents[2] / "evil.csv").exists()


def test_archives_inside_an_archive_are_read_under_their_path(tmp_path: Path) -> None:
    street = {p.name: p.read_bytes() for p in _shapefile(tmp_path, "井盖")}
    inner = _zip(tmp_path / "福田街道.zip", street, legacy=True).read_bytes()
    photos = _zip(tmp_path / "照片.zip", {"1.jpg": b"jpeg"}).read_bytes()
    outer = _zip(tmp_path / "福田区.zip", {"成果/福田街道.zip": inner, "照片.zip": photos})
    with survey_files([outer]) as found:
        assert [f.label for f in found] == ["福田区.zip/成果/福田街道.zip/井盖.shp"]
        assert read_survey(found[0].path).attributes["BJMC"].tolist() == ["上水井盖"]
    with pytest.raises(ImportValidationError, match=r"照片\.zip: the archive holds no survey file"), \
            survey_files([tmp_path / "照片.zip"]):
        pass


def _stored_rar(path: Path, members: dict[str, bytes], *, legacy: bool = False) -> Path:
    """A RAR 4 archive of uncompressed members, laid out as RAR's technical note describes: each block a
    CRC-16 (the low half of the CRC-32 of the rest of its header), type, flags and size; names in UTF-8
    under the Unicode flag, or (`legacy`) in GBK with backslashes from a Windows host, as older
    archivers on Chinese Windows write them."""
    def block(kind: int, flags: int, body: bytes) -> bytes:
        header = struct.pack("<BHH", kind, flags, 7 + len(body)) + body
        return struct.pack("<H", zlib.crc32(header) & 0xFFFF) + header

    out = b"Rar!\x1a\x07\x00" + block(0x73, 0, bytes(6))
    for name, data in members.items():
        encoded = name.replace("/", "\\").encode("gbk") if legacy else name.encode("utf-8")
        host, attributes = (2, 0x20) if legacy else (3, 0o100644)  # Windows archive bit, Unix file mode
        dos_time = (2026 - 1980) << 25 | 11 << 21 | 24 << 16
        body = struct.pack("<IIBIIBBHI", len(data), len(data), host, zlib.crc32(data), dos_time, 20, 0x30,
                           len(encoded), attributes) + encoded
        out += block(0x74, 0x8000 if legacy else 0x8000 | 0x200, body) + data
    path.write_bytes(out + block(0x7B, 0x4000, b""))
    return path


def _libarchive(path: Path, members: dict[str, bytes], *options: str) -> Path:
    with libarchive.file_writer(str(path), *options) as archive:
        for name, data in members.items():
            archive.add_file_from_memory(name, len(data), data)
    return path


@pytest.mark.parametrize("archive", ["census.7z", "census.rar", "legacy.rar", "census.tar.gz", "census.tar"])
def test_seven_zip_rar_and_tar_deliveries_are_read_like_zip_archives(tmp_path: Path, archive: str) -> None:
    survey = "部件名称,经度,纬度\n上水井盖,114.05,22.54\n".encode()
    members = {"普查/井盖.csv": survey, "普查/._井盖.csv": b"fork", "照片/1.jpg": b"jpeg"}
    if archive.endswith(".rar"):
        path = _stored_rar(tmp_path / archive, members, legacy=archive == "legacy.rar")
    else:
        path = _libarchive(tmp_path / archive, members, *{"census.7z": ["7zip"], "census.tar": ["pax"],
                                                          "census.tar.gz": ["pax", "gzip"]}[archive])
    with survey_files([path]) as found:
        assert [f.label for f in found] == [f"{archive}/普查/井盖.csv"]
        assert read_survey(found[0].path).attributes["部件名称"].tolist() == ["上水井盖"]
    photos = _libarchive(tmp_path / "照片.7z", {"1.jpg": b"jpeg"}, "7zip")
    with pytest.raises(ImportValidationError, match=r"照片\.7z: the archive holds no survey file"), \
            survey_files([photos]):
        pass
    broken = tmp_path / f"broken.{archive.split('.', 1)[1]}"
    broken.write_bytes(b"not an archive")
    with pytest.raises(ImportValidationError, match=r"broken\.[\w.]+: cannot read the archive: [^(]+$"), \
            survey_files([broken]):
        pass


def test_identical_copies_are_read_once_and_a_changed_attribute_table_is_not_a_copy(tmp_path: Path) -> None:
    for folder in ("a", "b", "c"):
        (tmp_path / folder).mkdir()
        _shapefile(tmp_path / folder, "井盖")
    frame = gpd.GeoDataFrame({"BJMC": ["雨水井盖"]}, geometry=[shapely.Point(114.05, 22.54)], crs=4490)
    pyogrio.write_dataframe(frame, tmp_path / "c" / "井盖.shp", encoding="GBK")  # same point, other name
    files = [SurveyFile(tmp_path / f / "井盖.shp", f"{f}/井盖.shp", named=False) for f in ("a", "b", "c")]
    kept, notes = without_copies(files)
    assert [f.label for f in kept] == ["a/井盖.shp", "c/井盖.shp"]
    assert notes == ["b/井盖.shp: the same data as a/井盖.shp: read once"]


def _room_for_unpacking(monkeypatch: pytest.MonkeyPatch, scratch: Path, room: int) -> None:
    """Unpacking into `scratch`, on a disk of 10 GB with `room` bytes free beyond the reserve kept (1 GB)."""
    scratch.mkdir(exist_ok=True)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    disk = shutil.disk_usage(scratch)._replace(total=10 << 30, free=(1 << 30) + room)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: disk)


@pytest.mark.parametrize("archive", ["bomb.zip", "bomb.7z", "bomb.tar.gz", "福田区.zip"])
def test_archives_that_unpack_past_the_free_disk_are_refused_with_nothing_left(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, archive: str) -> None:
    survey = "部件名称,经度,纬度\n上水井盖,114.05,22.54\n".encode()
    members = {"普查/井盖.csv": survey, "普查/填充.dat": bytes(4 << 20)}  # zeros pack small, as in a zip bomb
    if archive == "福田区.zip":  # each street's archive fits the room, the two together do not
        street = _libarchive(tmp_path / "街道.7z", members, "7zip").read_bytes()
        path = _zip(tmp_path / archive, {"a/街道.7z": street, "b/街道.7z": street})
        read, refused_at, fits, short = ["a", "b"], "福田区.zip/b/街道.7z", 9 << 20, 6 << 20
    else:
        if archive == "bomb.zip":
            path = tmp_path / archive
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as packed:
                for name, data in members.items():
                    packed.writestr(name, data)
        else:
            path = _libarchive(tmp_path / archive, members,
                               *{"bomb.7z": ["7zip"], "bomb.tar.gz": ["pax", "gzip"]}[archive])
        read, refused_at, fits, short = [], archive, 5 << 20, 3 << 20
    assert path.stat().st_size < 1 << 20
    _room_for_unpacking(monkeypatch, tmp_path / "scratch", fits)
    with survey_files([path]) as found:
        assert [f.label for f in found] == ([f"{archive}/{s}/街道.7z/普查/井盖.csv" for s in read]
                                            or [f"{archive}/普查/井盖.csv"])
    _room_for_unpacking(monkeypatch, tmp_path / "scratch", short)
    with pytest.raises(ImportValidationError) as refused, survey_files([path]):
        pass
    assert str(refused.value) == (
        f"{refused_at}: not unpacked: the delivery's archives unpack to more than the {short >> 20}.0 MB "
        f"that may be unpacked in {tmp_path / 'scratch'} (the disk's free space less 1.0 GB kept free); set "
        "TMPDIR to a folder on a larger disk, or unpack the archive there and import the folder")
    assert not list((tmp_path / "scratch").iterdir())  # the partial unpack is gone


def test_a_damaged_or_encrypted_zip_member_is_an_error_naming_the_archive(tmp_path: Path) -> None:
    survey = "部件名称,经度,纬度\n上水井盖,114.05,22.54\n".encode()
    path = _zip(tmp_path / "damaged.zip", {"井盖.csv": survey})
    data = path.read_bytes()
    start = data.index(survey)
    path.write_bytes(data[:start] + survey.replace(b"114", b"115") + data[start + len(survey):])
    with pytest.raises(ImportValidationError, match=r"^damaged\.zip: cannot read the archive: Bad CRC-32"), \
            survey_files([path]):
        pass
    encrypted = _zip(tmp_path / "encrypted.zip", {"井盖.csv": survey})
    data = bytearray(encrypted.read_bytes())
    for header in (b"PK\x03\x04", b"PK\x01\x02"):  # set the encryption flag in both headers
        at = data.index(header) + (6 if header == b"PK\x03\x04" else 8)
        data[at] |= 1
    encrypted.write_bytes(bytes(data))
    refusal = r"^encrypted\.zip: cannot read the archive: .*encrypted"
    with pytest.raises(ImportValidationError, match=refusal), survey_files([encrypted]):
        pass


class _UnflaggedUtf8Name(zipfile.ZipInfo):
    """A member named in UTF-8 without the UTF-8 flag, as Info-ZIP's zip on Linux and macOS's Compress
    write them."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("utf-8"), self.flag_bits & ~0x800


def test_member_names_without_the_utf8_flag_are_read_in_utf8_or_else_gbk(tmp_path: Path) -> None:
    parts = {f"成果/福田街道/{p.name}": p.read_bytes() for p in _shapefile(tmp_path, "雨水井盖")}
    linux = tmp_path / "linux.zip"
    with zipfile.ZipFile(linux, "w") as archive:
        for name, data in parts.items():
            archive.writestr(_UnflaggedUtf8Name(name), data)
    windows = _zip(tmp_path / "windows.zip", parts, legacy=True)
    with survey_files([linux, windows]) as found:
        assert [f.label for f in found] == ["linux.zip/成果/福田街道/雨水井盖.shp",
                                            "windows.zip/成果/福田街道/雨水井盖.shp"]
        assert [f.path.stem for f in found] == ["雨水井盖", "雨水井盖"]  # the name that gives the class
        assert read_survey(found[0].path).attributes["BJMC"].tolist() == ["上水井盖"]


def test_survey_formats_onemap_cannot_open_are_named_and_other_files_pass_quietly(tmp_path: Path) -> None:
    """奥维, MapGIS, SuperMap and MicroStation files may hold a census: each is named with what to convert
    it to; photos and documents are none of the survey's. An archive of such a file alone is named too."""
    delivery = tmp_path / "成果"
    delivery.mkdir()
    (delivery / "井盖.csv").write_text("部件名称,经度,纬度\n上水井盖,114.0512,22.5431\n", encoding="utf-8")
    for name in ("标注.ovobj", "路灯.wt", "道路.wl", "绿地.wp", "部件.udbx", "底图.dgn", "台账.et",
                 "汇总.xlsb", "1.jpg", "说明.docx", "报告.pdf"):
        (delivery / name).write_bytes(b"\x00" + name.encode())
    _zip(delivery / "旧库.zip", {"普查成果.mdb": b"\x00\x01\x00\x00Standard Jet DB\x00"})
    rows, notes = read_rows([delivery], ImportOptions(actor="tester"))
    assert set(rows.files) == {"成果/井盖.csv"}
    assert [note for note in notes if "not read" in note] == [
        "成果/台账.et: not read: a WPS 表格 workbook (.et), which onemap cannot open: in WPS save it as an "
        "Excel workbook (.xlsx) and import that",
        "成果/底图.dgn: not read: a MicroStation drawing (DGN), which onemap cannot open: save it as DXF and "
        "import that",
        "成果/旧库.zip/普查成果.mdb: not read: a Personal Geodatabase (Access), which onemap cannot open: "
        "export its feature classes to a File Geodatabase (.gdb) or GeoPackage and import that",
        "成果/标注.ovobj: not read: an 奥维互动地图 (Ovital Map) object file, which onemap cannot open: "
        "export its objects from 奥维 as KML or KMZ and import that",
        "成果/汇总.xlsb: not read: an Excel binary workbook (.xlsb), whose error cells (#N/A of a lookup) "
        "onemap cannot tell from empty ones: save it as an Excel workbook (.xlsx) and import that",
        "成果/绿地.wp: not read: a MapGIS area file, which onemap cannot open: export it from MapGIS as a "
        "Shapefile and import that",
        "成果/路灯.wt: not read: a MapGIS point file, which onemap cannot open: export it from MapGIS as a "
        "Shapefile and import that",
        "成果/道路.wl: not read: a MapGIS line file, which onemap cannot open: export it from MapGIS as a "
        "Shapefile and import that",
        "成果/部件.udbx: not read: a SuperMap datasource, which onemap cannot open: export its datasets from "
        "SuperMap as Shapefiles or a File Geodatabase (.gdb) and import those"]
    assert not [note for note in notes if any(kind in note for kind in (".jpg", ".docx", ".pdf"))]


def test_a_zip_of_gml_and_geojson_lines_is_imported(db_url: str, tmp_path: Path) -> None:
    with psycopg.connect(db_url) as conn:
        points = _points_in_city(conn, 4, seed=89)
    frame = gpd.GeoDataFrame({"XLDM": ["01013", "01013", "04003", "04003"], "ZGBMMC": DEPT}, geometry=points,
                             crs=4490)
    pyogrio.write_dataframe(frame.iloc[:2], tmp_path / "雨水井盖.gml", driver="GML", layer="雨水井盖")
    pyogrio.write_dataframe(frame.iloc[2:], tmp_path / "路灯.geojsonl", driver="GeoJSONSeq")
    archive = _zip(tmp_path / "普查.zip", {name: (tmp_path / name).read_bytes()
                                           for name in ("雨水井盖.gml", "雨水井盖.xsd", "路灯.geojsonl")})
    result = _run(db_url, [archive], dry_run=True)
    assert (result.status, result.rejections, result.loaded_per_class) == ("dry-run", [], {"01013": 2,
                                                                                           "04003": 2})
