"""Survey deliveries: folders and archives (.zip, .7z, .rar, .tar), each survey file inside read as if it
had been given.

Contractors send a census as a folder tree or one archive of Shapefiles (one per class, often a folder per
street, with .dbf/.prj/.cpg beside each), GeoPackages, workbooks or a File Geodatabase folder. Archives
written on Chinese Windows store member names in GBK without the UTF-8 flag, which Python's zipfile
reads as code page 437; such names are decoded as GB18030 again so that reports show 井盖.shp, not
¥«╕╟.shp. Info-ZIP's zip on Linux and macOS's Compress store UTF-8 names without the flag too: those are
read as UTF-8, which GBK names almost never are. What desktops leave beside the data is passed over:
hidden files, the `._name` resource forks that macOS writes on USB sticks and into archives, and the
`~$name.xlsx` lock files of open workbooks. Files of the survey formats onemap cannot open (a Personal
Geodatabase, a MapGIS or 奥维 file: layers.survey_formats) are found too, to be named in the report.
Archives are unpacked only while the scratch disk keeps a reserve free, so a huge or hostile archive (a zip
bomb) is refused before it fills a disk that the database may share.
"""

import hashlib
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gis.errors import ImportValidationError
from layers.survey_formats import ARCHIVE_SUFFIXES, NAMED_ONLY_SUFFIXES, SURVEY_SUFFIXES, UNREAD_FORMATS
from layers.survey_read import layers_to_read

_UTF8_FLAG = 0x800
_SKIPPED = ("__MACOSX",)  # resource forks that macOS adds to archives
_KINDS = ", ".join((*SURVEY_SUFFIXES, *ARCHIVE_SUFFIXES))
_NESTED_ARCHIVES = 3  # archives inside archives read this deep
_RESERVE_MIN = 1 << 30  # unpacking keeps this much of the scratch disk free, or 5 % of it if more


@dataclass(frozen=True)
class SurveyFile:
    """A file to read and how reports name it: its own name, folder/…/name or archive.zip/member.

    `named` is True for a file given by name, False for one found in a folder or an archive, which a
    reader may pass over with a note when it holds no survey (an attribute table beside the shapes)."""

    path: Path
    label: str
    named: bool = True


class _Room:
    """What an import's archives may still unpack: the scratch disk's free space less a reserve."""

    def __init__(self, scratch: Path) -> None:
        disk = shutil.disk_usage(scratch)
        self.reserve = max(_RESERVE_MIN, disk.total // 20)
        self.room = self.left = max(0, disk.free - self.reserve)
        self.where = scratch.parent

    def take(self, size: int, label: str) -> None:
        """Count `size` more bytes unpacked from the archive `label`; refused past the room left."""
        self.check(size, label)
        self.left -= size

    def check(self, size: int, label: str) -> None:
        if size > self.left:
            raise ImportValidationError(
                f"{label}: not unpacked: the delivery's archives unpack to more than the "
                f"{_size(self.room)} that may be unpacked in {self.where} (the disk's free space less "
                f"{_size(self.reserve)} kept free); set TMPDIR to a folder on a larger disk, or unpack the "
                "archive there and import the folder")


@contextmanager
def survey_files(paths: Sequence[Path]) -> Iterator[list[SurveyFile]]:
    """The survey files of `paths`, folders walked and archives unpacked into a temporary folder that
    lives as long as the context."""
    with tempfile.TemporaryDirectory(prefix="onemap-survey-") as scratch:
        found: list[SurveyFile] = []
        unpacked = _Unpacked(Path(scratch), _Room(Path(scratch)))
        for path in map(Path, paths):
            if path.is_dir() and path.suffix.lower() != ".gdb":
                inside = _folder_files(path, unpacked)
                if not inside:
                    raise ImportValidationError(f"{path}: the folder holds no survey file ({_KINDS})")
                found += inside
            elif _is_archive(path.name):
                found += _archive_files(path, path.name, unpacked)
            else:
                found.append(SurveyFile(path, path.name))
        yield found


def without_copies(files: Sequence[SurveyFile]) -> tuple[list[SurveyFile], list[str]]:
    """The files less byte-identical copies of an earlier one (a delivery that holds a layer both
    unpacked and zipped, or in a 备份 folder), with a note per copy left out. A Shapefile or MapInfo
    table is compared with its sidecar files, a .gdb folder with everything in it."""
    if len(files) < 2:
        return list(files), []
    first: dict[bytes, SurveyFile] = {}
    kept: list[SurveyFile] = []
    notes: list[str] = []
    for file in files:
        digest = _digest(file.path)
        if digest in first:
            notes.append(f"{file.label}: the same data as {first[digest].label}: read once")
        else:
            first[digest] = file
            kept.append(file)
    return kept, notes


def _digest(path: Path) -> bytes:
    """A digest of a survey file's bytes, with its sidecars' for a Shapefile or MapInfo table (井盖.dbf,
    .shx, .prj, .cpg beside 井盖.shp), or of every file in a .gdb folder."""
    if path.is_dir():
        parts = {p.relative_to(path).as_posix(): p for p in path.rglob("*") if p.is_file()}
    elif path.suffix.lower() in (".shp", ".tab", ".mif"):
        parts = {p.suffix.lower(): p for p in path.parent.iterdir()
                 if p.is_file() and p.stem.lower() == path.stem.lower()}
    else:
        parts = {"": path}
    digest = hashlib.blake2b(digest_size=20)
    for key in sorted(parts):
        with parts[key].open("rb") as data:
            digest.update(key.encode() + b"\0" + hashlib.file_digest(data, "blake2b").digest())
    return digest.digest()


def passed_over_note(file: SurveyFile, encoding: str | None) -> str | None:
    """Why a file found in a delivery is not read (a table whose header names no coordinates, a .json
    file that is not GeoJSON; see layers_to_read), for the imports that read one layer per file; None to
    read it."""
    if file.named:
        return None
    layers, notes = layers_to_read(file.path, (), named=False, encoding=encoding)
    return None if layers else f"{file.label}: {'; '.join(notes)}"


@dataclass
class _Unpacked:
    """Where the archives of one import are unpacked: a numbered folder each, sharing one room."""

    scratch: Path
    room: _Room
    count: int = 0

    def next_folder(self) -> Path:
        self.count += 1
        return self.scratch / str(self.count)


def _folder_files(folder: Path, unpacked: _Unpacked) -> list[SurveyFile]:
    """The survey files under `folder` and in the archives there, labelled from the folder's name down;
    a .gdb folder is one file."""
    found: list[SurveyFile] = []
    for top, folders, names in os.walk(folder):
        here = Path(top)
        folders[:] = sorted(name for name in folders if not _passed_over(name))
        entries = [name for name in folders if name.lower().endswith(".gdb")]
        folders[:] = [name for name in folders if name not in entries]
        entries += [name for name in names if not _passed_over(name)
                    and (_is_survey_file(name) or _is_archive(name))]
        for name in sorted(entries):
            label = (here / name).relative_to(folder.parent).as_posix()
            if _is_archive(name):
                found += _archive_files(here / name, label, unpacked, required=False)
            else:
                found.append(SurveyFile(here / name, label, named=False))
    return found


def _archive_files(path: Path, label: str, unpacked: _Unpacked, *, required: bool = True,
                   depth: int = 0) -> list[SurveyFile]:
    """The survey files of one archive and of the archives inside it (a zip of per-street zips), each
    unpacked into the next folder of `unpacked`; an archive given by name must hold one."""
    target = unpacked.next_folder()
    members = _unpack(path, _Unpacking(label, target, unpacked.room))
    found = [SurveyFile(target / m, f"{label}/{m}", named=False)
             for m in sorted(members) if _is_survey_file(m)]
    if depth < _NESTED_ARCHIVES:
        for member in sorted(filter(_is_archive, members)):
            found += _archive_files(target / member, f"{label}/{member}", unpacked, required=False,
                                    depth=depth + 1)
    if not found and required:
        raise ImportValidationError(f"{label}: the archive holds no survey file ({_KINDS})")
    return found


def _is_survey_file(name: str) -> bool:
    """A file the import reads within a delivery, or one of a survey format it names in the report as not
    read."""
    suffix = PurePosixPath(name).suffix.lower()
    return (suffix in SURVEY_SUFFIXES and suffix not in NAMED_ONLY_SUFFIXES) or suffix in UNREAD_FORMATS


def _passed_over(name: str) -> bool:
    """Hidden files and folders, macOS resource forks (._name) and Office lock files (~$name)."""
    return name.startswith((".", "~$")) or name in _SKIPPED


@dataclass(frozen=True)
class _Unpacking:
    """One archive being unpacked: its label in messages, its folder and the import's room."""

    label: str
    target: Path
    room: _Room

    def write(self, parts: tuple[str, ...], chunks: Iterable[bytes]) -> None:
        destination = self.target.joinpath(*parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        with destination.open("wb") as sink:
            for chunk in chunks:
                self.room.take(len(chunk), self.label)
                sink.write(chunk)

    def refused(self, error: object) -> ImportValidationError:
        return ImportValidationError(f"{self.label}: cannot read the archive: {error}")


def _unpack(path: Path, into: _Unpacking) -> set[str]:
    """Extract the archive when it holds a survey file or an archive (one of photos leaves nothing
    unpacked); the relative paths of its members, folders of a .gdb as the folder. Zip archives are read
    by zipfile, which exposes the flag that tells GBK member names from UTF-8 ones; 7z, RAR and tar by
    libarchive."""
    if path.name.lower().endswith(".zip"):
        return _unpack_zip(path, into)
    return _unpack_other(path, into)


def _unpack_zip(path: Path, into: _Unpacking) -> set[str]:
    """A zip archive's members; their sizes as its directory states them (zipfile reads no more than
    that) are counted against the room before anything is written."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise into.refused(error) from None
    with archive:
        wanted = [(info, parts) for info in archive.infolist() if (parts := _kept(_zip_member_name(info)))]
        members = {_member(parts) for _, parts in wanted}
        if not _holds_survey(members):
            return set()
        into.room.check(sum(info.file_size for info, _ in wanted), into.label)
        for info, parts in wanted:
            try:
                with archive.open(info) as source:
                    into.write(parts, iter(lambda: source.read(1 << 20), b""))
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as error:
                raise into.refused(error) from None
    return members


def _unpack_other(path: Path, into: _Unpacking) -> set[str]:
    """In one pass: 7z and RAR archives are often solid and tar.gz is one stream, so listing their
    members costs as much as unpacking them. An archive without a survey file is removed again."""
    import libarchive  # only for these formats: it loads the system's libarchive

    members: set[str] = set()
    try:
        with libarchive.file_reader(str(path)) as entries:
            for entry in entries:
                if entry.isfile and (parts := _kept(_archive_member_name(entry.pathname))):
                    into.write(parts, entry.get_blocks())
                    members.add(_member(parts))
    except libarchive.ArchiveError as error:  # its str() adds libarchive's pointers
        raise into.refused(error.msg) from None
    except OSError as error:
        raise into.refused(error) from None
    if not _holds_survey(members):
        shutil.rmtree(into.target, ignore_errors=True)
        return set()
    return members


def _kept(name: str) -> tuple[str, ...]:
    """The parts of a member's path if it is unpacked: not a folder entry, inside the archive's own
    folder, and not passed over; else ()."""
    parts = PurePosixPath(name).parts
    if name.endswith("/") or not parts or ".." in parts or parts[0] == "/" or any(map(_passed_over, parts)):
        return ()
    return parts


def _holds_survey(members: set[str]) -> bool:
    """True when an archive holds a survey file or an archive, or a survey format the report names as not
    read (an archive of a Personal Geodatabase is not passed over in silence)."""
    return any(_is_archive(m) or _is_survey_file(m) for m in members)


def _size(count: int) -> str:
    return f"{count / (1 << 30):.1f} GB" if count >= 1 << 30 else f"{count / (1 << 20):.1f} MB"


def _is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def _member(parts: tuple[str, ...]) -> str:
    """A member's relative path, or that of the .gdb folder it lies in."""
    gdb = next((i for i, part in enumerate(parts[:-1]) if part.lower().endswith(".gdb")), None)
    return "/".join(parts[: gdb + 1]) if gdb is not None else "/".join(parts)


def _archive_member_name(name: str | bytes) -> str:
    """A libarchive member's name: libarchive decodes UTF-8 and Unicode names and hands back the bytes of
    a name in a Windows code page (a RAR 4 or tar archive written on Chinese Windows), read as GB18030."""
    if isinstance(name, bytes):
        text = _unmarked_name(name) or name.decode("gb18030", errors="replace")
    else:
        text = name
    return text.replace("\\", "/")


def _zip_member_name(info: zipfile.ZipInfo) -> str:
    """The member's name decoded as its archiver wrote it, with the backslashes that some Windows
    archivers separate folders with read as slashes. A name without the UTF-8 flag keeps zipfile's code
    page 437 reading when it is neither UTF-8 nor GB18030 (a Western DOS archiver's)."""
    name = info.filename
    if not info.flag_bits & _UTF8_FLAG:
        with suppress(UnicodeEncodeError):
            name = _unmarked_name(name.encode("cp437")) or name
    return name.replace("\\", "/")


def _unmarked_name(raw: bytes) -> str | None:
    """A member name stored without saying its encoding: UTF-8 when its bytes are UTF-8 (Info-ZIP's zip
    on Linux, macOS's Compress, 7-Zip), else GB18030 (archivers on Chinese Windows); None for neither."""
    for codec in ("utf-8", "gb18030"):
        with suppress(UnicodeDecodeError):
            return raw.decode(codec)
    return None

