"""Uploaded xlsx workbooks, read so that a hostile file can neither inflate in memory nor
make the parser reach a file or expand an entity.

An xlsx is a zip of XML parts, and openpyxl (read-only) handles them in two ways: the parts it
reads whole (content types, workbook, relationships, styles, properties, theme) it holds as
trees, which weigh up to a hundred times their XML; the sheet and the shared strings it
streams, one row or one string at a time. So:

- before openpyxl opens the file, its zip directory alone is checked, nothing inflated
  (`check_archive`): the file's size, the number of members, each member's declared inflated
  size and compression ratio, and the members' total;
- while openpyxl reads, every member passes through a guard: the parts read whole share a
  budget of bytes and XML elements; a streamed part is watched as it streams: at most
  `max_rows` rows or `max_shared_strings` strings, and no row, string or other top-level
  element of more than `MAX_UNIT_ELEMENTS` elements, since openpyxl builds each one whole;
- a member that lies about its size in the directory is cut there by zipfile, whose CRC check
  then fails: what the directory declares is all that is ever inflated;
- XML entities are refused: by defusedxml in the parts openpyxl streams (openpyxl uses it
  whenever it is installed), by the guard in the parts read whole, whose parser (lxml, told
  not to resolve entities) would drop them silently.

A refusal is a `RefusedWorkbookError` whose message names the limit and its setting.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import zipfile
from collections.abc import Iterator
from typing import IO, Any, Literal, cast
from xml.parsers import expat

import openpyxl
from defusedxml import DefusedXmlException
from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from pydantic import Field

from shared.settings import ServiceSettings

if not openpyxl.DEFUSEDXML:
    # Without it, openpyxl parses sheets with the standard library, which expands entities.
    raise ImportError("openpyxl must parse with defusedxml: install it, unset OPENPYXL_DEFUSEDXML")

MIB = 1 << 20
# Excel's last column is XFD (16,384), and a cell is a handful of elements (value, formula,
# rich text); a row, string or other top-level element past this was not written by Excel.
MAX_UNIT_ELEMENTS = 4 * 16_384
# The columns of each row handed on: the upload templates have 14 (roster) and 10 (ledger).
# The sheet's own `dimension` is not trusted: it could pad every row to 16,384 columns.
MAX_COLUMNS = 256


@dataclasses.dataclass(frozen=True)
class WorkbookLimits:
    """What an uploaded workbook may weigh; each field is the setting `upload_<field>`."""

    max_bytes: int = 5_000_000
    max_members: int = 100
    max_member_bytes: int = 32 * MIB
    max_total_bytes: int = 64 * MIB
    max_compression_ratio: float = 100.0
    max_whole_part_bytes: int = 4 * MIB
    max_whole_part_elements: int = 20_000
    max_rows: int = 20_000
    max_shared_strings: int = 100_000

    @property
    def bytes_to_read(self) -> int:
        """One byte past the limit: tells a file at the limit from one past it."""
        return self.max_bytes + 1

    def named(self, field: str) -> str:
        return f"limit: upload_{field} = {getattr(self, field)}"


DEFAULT_LIMITS = WorkbookLimits()


class RefusedWorkbookError(Exception):
    """The upload is not an xlsx workbook that can be read, or it is past a limit."""

    status = 422


class WorkbookTooLargeError(RefusedWorkbookError):
    status = 413


class WorkbookUploadSettings(ServiceSettings):
    """A service that takes xlsx uploads: its limits (`FIRSTLOAN_UPLOAD_*`)."""

    upload_max_bytes: int = Field(
        default=DEFAULT_LIMITS.max_bytes, gt=0, description="The file as uploaded; past it 413."
    )
    upload_max_members: int = Field(default=DEFAULT_LIMITS.max_members, gt=0)
    upload_max_member_bytes: int = Field(
        default=DEFAULT_LIMITS.max_member_bytes, gt=0, description="One member, inflated."
    )
    upload_max_total_bytes: int = Field(
        default=DEFAULT_LIMITS.max_total_bytes, gt=0, description="All members, inflated."
    )
    upload_max_compression_ratio: float = Field(default=DEFAULT_LIMITS.max_compression_ratio, gt=1)
    upload_max_whole_part_bytes: int = Field(
        default=DEFAULT_LIMITS.max_whole_part_bytes,
        gt=0,
        description="The parts openpyxl holds whole (workbook, styles, ...), together.",
    )
    upload_max_whole_part_elements: int = Field(
        default=DEFAULT_LIMITS.max_whole_part_elements, gt=0
    )
    upload_max_rows: int = Field(default=DEFAULT_LIMITS.max_rows, gt=0)
    upload_max_shared_strings: int = Field(default=DEFAULT_LIMITS.max_shared_strings, gt=0)

    @property
    def workbook_limits(self) -> WorkbookLimits:
        fields = dataclasses.fields(WorkbookLimits)
        return WorkbookLimits(**{f.name: getattr(self, f"upload_{f.name}") for f in fields})


def first_sheet_rows(content: bytes, limits: WorkbookLimits) -> Iterator[tuple[Any, ...]]:
    """The first worksheet's rows (cell values, the first `MAX_COLUMNS` columns), read within
    `limits`. Anything wrong with the file raises `RefusedWorkbookError`."""
    check_archive(content, limits)
    with _as_refusal():
        for count, row in enumerate(_first_sheet_values(_open(content, limits)), start=1):
            if count > limits.max_rows:
                raise RefusedWorkbookError(
                    f"the sheet has more than {limits.max_rows} rows ({limits.named('max_rows')})"
                )
            yield row


def check_archive(content: bytes, limits: WorkbookLimits) -> None:
    """Refuses a file past the limits by its size and zip directory alone: nothing is
    inflated, so a bomb costs no more than its compressed bytes."""
    if len(content) > limits.max_bytes:
        raise WorkbookTooLargeError(
            f"larger than {limits.max_bytes} bytes ({limits.named('max_bytes')})"
        )
    members = _directory(content)
    if len(members) > limits.max_members:
        raise RefusedWorkbookError(
            f"the zip has more than {limits.max_members} members ({limits.named('max_members')})"
        )
    for member in members:
        _check_member(member, limits)
    total = sum(member.file_size for member in members)
    if total > limits.max_total_bytes:
        raise RefusedWorkbookError(
            f"the members inflate to {total} bytes, more than {limits.max_total_bytes} "
            f"({limits.named('max_total_bytes')})"
        )


def _directory(content: bytes) -> list[zipfile.ZipInfo]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise RefusedWorkbookError(f"not an xlsx workbook: not a zip archive ({error})") from error


def _check_member(member: zipfile.ZipInfo, limits: WorkbookLimits) -> None:
    if member.file_size > limits.max_member_bytes:
        raise RefusedWorkbookError(
            f"{member.filename} inflates to {member.file_size} bytes, more than "
            f"{limits.max_member_bytes} ({limits.named('max_member_bytes')})"
        )
    if member.file_size > limits.max_compression_ratio * max(member.compress_size, 1):
        ratio = member.file_size / max(member.compress_size, 1)
        raise RefusedWorkbookError(
            f"{member.filename} is compressed {ratio:.0f} to 1, more than "
            f"{limits.max_compression_ratio:.0f} ({limits.named('max_compression_ratio')})"
        )


def _open(content: bytes, limits: WorkbookLimits) -> openpyxl.Workbook:
    reader = ExcelReader(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
    reader.archive.close()
    # The reader (and the read-only sheet after it) reads every member through this archive.
    reader.archive = _GuardedArchive(content, limits)
    reader.read()
    return reader.wb


def _first_sheet_values(book: openpyxl.Workbook) -> Iterator[tuple[Any, ...]]:
    sheets = book.worksheets
    if not sheets or not isinstance(sheets[0], ReadOnlyWorksheet):
        raise RefusedWorkbookError("the workbook has no worksheet")
    sheet = sheets[0]
    sheet.reset_dimensions()
    return sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)


@contextlib.contextmanager
def _as_refusal() -> Iterator[None]:
    """Whatever openpyxl, zipfile or defusedxml raise for a broken or hostile file becomes a
    refusal: a broken upload can fail anywhere in them."""
    try:
        yield
    except RefusedWorkbookError:
        raise
    except Exception as error:
        raise _refusal_for(error) from error


def _refusal_for(error: BaseException) -> RefusedWorkbookError:
    # openpyxl wraps what it meets while opening in a ValueError of its own.
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, RefusedWorkbookError):
            return cause
        if isinstance(cause, DefusedXmlException):
            return RefusedWorkbookError(f"XML entities and DTDs are refused: {cause}")
        cause = cause.__cause__ or cause.__context__
    first_line = (str(error).splitlines() or [""])[0][:200]
    return RefusedWorkbookError(f"not an xlsx workbook: {type(error).__name__}: {first_line}")


class _GuardedArchive(zipfile.ZipFile):
    """The archive as openpyxl sees it: each member it opens is read through a guard."""

    def __init__(self, content: bytes, limits: WorkbookLimits) -> None:
        super().__init__(io.BytesIO(content))
        self.limits = limits
        self.whole_parts = _WholePartBudget(limits)

    def open(
        self,
        name: str | zipfile.ZipInfo,
        mode: Literal["r", "w"] = "r",
        pwd: bytes | None = None,
        *,
        force_zip64: bool = False,
    ) -> IO[bytes]:
        member = super().open(name, mode, pwd, force_zip64=force_zip64)
        filename = name.filename if isinstance(name, zipfile.ZipInfo) else name
        return cast(IO[bytes], _GuardedMember(member, filename, self))


class _GuardedMember(io.RawIOBase):
    """One member as openpyxl reads it: read whole (`zipfile.ZipFile.read`, or `read()`), it
    is charged to the whole-part budget; read in chunks, it is streamed and watched."""

    def __init__(self, member: IO[bytes], name: str, archive: _GuardedArchive) -> None:
        super().__init__()
        self._member = member
        self._name = name
        self._archive = archive
        self._shape = _StreamedShape(name, archive.limits)

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self._archive.whole_parts.read(self._name, self._member)
        data = self._member.read(size)
        self._shape.feed(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._member.close()
        super().close()


class _WholePartBudget:
    """The parts openpyxl holds whole share one budget of bytes and XML elements; each must
    be XML that declares no DTD (lxml would drop its entities silently, not refuse them)."""

    def __init__(self, limits: WorkbookLimits) -> None:
        self._limits = limits
        self._bytes_left = limits.max_whole_part_bytes
        self._elements_left = limits.max_whole_part_elements

    def read(self, name: str, member: IO[bytes]) -> bytes:
        data = member.read(self._bytes_left + 1)
        if len(data) > self._bytes_left:
            raise RefusedWorkbookError(
                f"{name}: the parts read whole inflate past {self._limits.max_whole_part_bytes} "
                f"bytes ({self._limits.named('max_whole_part_bytes')})"
            )
        self._bytes_left -= len(data)
        self._elements_left -= _ElementCount(name, self._elements_left, self._limits).of(data)
        return data


class _ElementCount:
    """Counts the elements of a part read whole, refusing past `allowed` or at a DTD."""

    def __init__(self, name: str, allowed: int, limits: WorkbookLimits) -> None:
        self._name = name
        self._allowed = allowed
        self._limits = limits
        self._count = 0

    def of(self, data: bytes) -> int:
        parser = expat.ParserCreate()
        parser.StartElementHandler = self._element
        parser.StartDoctypeDeclHandler = self._doctype
        try:
            parser.Parse(data, True)
        except expat.ExpatError as error:
            raise RefusedWorkbookError(f"{self._name}: not well-formed XML ({error})") from error
        return self._count

    def _element(self, *_: object) -> None:
        self._count += 1
        if self._count > self._allowed:
            raise RefusedWorkbookError(
                f"{self._name}: the parts read whole hold more than "
                f"{self._limits.max_whole_part_elements} XML elements "
                f"({self._limits.named('max_whole_part_elements')})"
            )

    def _doctype(self, *_: object) -> None:
        raise RefusedWorkbookError(f"{self._name} declares a DTD: XML entities are refused")


class _StreamedShape:
    """Watches a streamed part's XML before openpyxl parses the same bytes. openpyxl builds
    each row of `sheetData`, each string of `sst` and each other child of the root whole,
    then drops its content but keeps an empty element for it: so their number and each one's
    size are bounded."""

    def __init__(self, name: str, limits: WorkbookLimits) -> None:
        self._name = name
        self._limits = limits
        self._parser = expat.ParserCreate(namespace_separator=" ")
        self._parser.StartElementHandler = self._start
        self._parser.EndElementHandler = self._end
        self._parser.StartDoctypeDeclHandler = self._doctype
        self._depth = 0
        self._root_is_sst = False
        self._in_sheet_data = False
        self._root_children = 0
        self._rows = 0
        self._unit_elements = 0

    def feed(self, data: bytes) -> None:
        try:
            self._parser.Parse(data, False)
        except expat.ExpatError as error:
            raise RefusedWorkbookError(f"{self._name}: not well-formed XML ({error})") from error

    def _start(self, tag: str, _: object) -> None:
        self._depth += 1
        local = tag.rpartition(" ")[2]
        if self._depth == 1:
            self._root_is_sst = local == "sst"
        elif self._depth == 2:
            self._root_child(local)
        elif self._depth == 3 and self._in_sheet_data:
            self._row()
        else:
            self._within_unit()

    def _doctype(self, *_: object) -> None:
        # Any default handler keeps expat from expanding internal entities here (and costs a
        # call for every text, so only once there is a DTD); defusedxml refuses them when
        # openpyxl parses the same bytes.
        self._parser.DefaultHandler = _ignore

    def _end(self, _: str) -> None:
        if self._depth == 2:
            self._in_sheet_data = False
        self._depth -= 1

    def _root_child(self, local: str) -> None:
        self._root_children += 1
        if self._root_is_sst and self._root_children > self._limits.max_shared_strings:
            raise RefusedWorkbookError(
                f"{self._name} holds more than {self._limits.max_shared_strings} shared "
                f"strings ({self._limits.named('max_shared_strings')})"
            )
        if not self._root_is_sst and self._root_children > MAX_UNIT_ELEMENTS:
            raise RefusedWorkbookError(
                f"{self._name} holds more than {MAX_UNIT_ELEMENTS} top-level elements"
            )
        self._in_sheet_data = local == "sheetData"
        self._unit_elements = 1

    def _row(self) -> None:
        self._rows += 1
        if self._rows > self._limits.max_rows:
            raise RefusedWorkbookError(
                f"{self._name} holds more than {self._limits.max_rows} rows "
                f"({self._limits.named('max_rows')})"
            )
        self._unit_elements = 1

    def _within_unit(self) -> None:
        self._unit_elements += 1
        if self._unit_elements > MAX_UNIT_ELEMENTS:
            raise RefusedWorkbookError(
                f"{self._name}: a row or other element holds more than {MAX_UNIT_ELEMENTS} "
                "XML elements, more than a row of Excel's 16,384 columns"
            )


def _ignore(_: str) -> None:
    """Text and markup that the shape does not depend on."""
