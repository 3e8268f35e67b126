"""Survey deliveries packed in .zip archives: each survey file inside is read as if it had been given.

Contractors send a census as one zip of Shapefiles (one per class, with .dbf/.prj/.cpg beside each),
GeoPackages, workbooks or a File Geodatabase folder. Archives written on Chinese Windows store member
names in GBK without the UTF-8 flag, which Python's zipfile reads as code page 437; such names are
decoded as GB18030 again so that reports show 井盖.shp, not ¥«╕╟.shp.
"""

import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gis.errors import ImportValidationError
from layers.survey_read import SURVEY_SUFFIXES

_UTF8_FLAG = 0x800
_SKIPPED = ("__MACOSX",)  # resource forks that macOS adds to archives


@dataclass(frozen=True)
class SurveyFile:
    """A file to read and how reports name it: its own name, or archive.zip/member."""

    path: Path
    label: str


@contextmanager
def survey_files(paths: Sequence[Path]) -> Iterator[list[SurveyFile]]:
    """The survey files of `paths`, archives unpacked into a temporary folder that lives as long as
    the context."""
    with tempfile.TemporaryDirectory(prefix="onemap-survey-") as scratch:
        found: list[SurveyFile] = []
        for number, path in enumerate(map(Path, paths)):
            if path.suffix.lower() != ".zip":
                found.append(SurveyFile(path, path.name))
                continue
            target = Path(scratch) / str(number)
            members = _unpack(path, target)
            inside = sorted(m for m in members if PurePosixPath(m).suffix.lower() in SURVEY_SUFFIXES)
            if not inside:
                kinds = ", ".join(SURVEY_SUFFIXES)
                raise ImportValidationError(f"{path}: the archive holds no survey file ({kinds})")
            found += [SurveyFile(target / m, f"{path.name}/{m}") for m in inside]
        yield found


def _unpack(path: Path, target: Path) -> set[str]:
    """Extract the archive; the relative paths of its members, folders of a .gdb as the folder."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise ImportValidationError(f"{path}: cannot read the archive: {error}") from None
    members: set[str] = set()
    with archive:
        for info in archive.infolist():
            name = _member_name(info)
            parts = PurePosixPath(name).parts
            if info.is_dir() or not parts or parts[0] in _SKIPPED or ".." in parts or name.startswith("/"):
                continue
            destination = target.joinpath(*parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, destination.open("wb") as sink:
                while chunk := source.read(1 << 20):
                    sink.write(chunk)
            gdb = next((i for i, part in enumerate(parts[:-1]) if part.lower().endswith(".gdb")), None)
            members.add("/".join(parts[: gdb + 1]) if gdb is not None else "/".join(parts))
    return members


def _member_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename

