"""Hostile xlsx files for the upload tests, built where the test runs (none is stored): an
external entity, a billion laughs, a zip bomb, a member that lies about its size, too many
rows, a row too wide, styles too many to hold.

Each is an ordinary openpyxl workbook with one member replaced, so that nothing but the
hostile part keeps a reader from getting through it.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"
STYLES = "xl/styles.xml"
WORKBOOK = "xl/workbook.xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
MIB = 1 << 20
EXTERNAL_ENTITY = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
LAUGHS = "<!DOCTYPE lolz [<!ENTITY lol0 'lol'>{}]>".format(
    "".join(f"<!ENTITY lol{n} '{f'&lol{n - 1};' * 10}'>" for n in range(1, 10))
)
# A row the size of those of real lists, repeated: deflate shrinks it about a thousandfold.
BOMB_ROW = b'<row><c t="inlineStr"><is><t>91140902MA0K6Y8L1N</t></is></c></row>'


def plain_workbook(rows: Sequence[Sequence[Any]] = (("uscc",), ("91140902MA0K6Y8L1N",))) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_member(content: bytes, name: str, data: bytes) -> bytes:
    """`content` with member `name` replaced by `data`."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            if member.filename != name:
                archive.writestr(member.filename, source.read(member.filename))
        archive.writestr(name, data)
    return buffer.getvalue()


def sheet_xml(sheet_data: str, prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
        f'<worksheet xmlns="{MAIN_NS}"><sheetData>{sheet_data}</sheetData></worksheet>'
    ).encode()


def text_cell(text: str) -> str:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'


def external_entity_workbook() -> bytes:
    """A sheet whose cell would read the server's /etc/passwd."""
    rows = f"<row>{text_cell('uscc')}</row><row>{text_cell('&e;')}</row>"
    return with_member(plain_workbook(), SHEET, sheet_xml(rows, EXTERNAL_ENTITY))


def billion_laughs_workbook() -> bytes:
    """A sheet whose one cell would expand to a thousand million `lol`s."""
    rows = f"<row>{text_cell('uscc')}</row><row>{text_cell('&lol9;')}</row>"
    return with_member(plain_workbook(), SHEET, sheet_xml(rows, LAUGHS))


def external_entity_in_workbook_part() -> bytes:
    """The entity in a part openpyxl reads whole (the workbook), not in the sheet."""
    content = plain_workbook()
    part = zipfile.ZipFile(io.BytesIO(content)).read(WORKBOOK).decode()
    declared = EXTERNAL_ENTITY + part.replace('name="Sheet"', 'name="&e;"')
    return with_member(content, WORKBOOK, declared.encode())


def zip_bomb_workbook(inflated_bytes: int = 256 * MIB) -> bytes:
    """A sheet of `inflated_bytes` of repeated rows, streamed into the zip (never held)."""
    source = zipfile.ZipFile(io.BytesIO(plain_workbook()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            if member.filename != SHEET:
                archive.writestr(member.filename, source.read(member.filename))
        with archive.open(SHEET, "w") as sheet:
            head, tail = sheet_xml("|").split(b"|")
            sheet.write(head)
            chunk = BOMB_ROW * (MIB // len(BOMB_ROW))
            for _ in range(inflated_bytes // len(chunk)):
                sheet.write(chunk)
            sheet.write(tail)
    return buffer.getvalue()


def lying_workbook(inflated_bytes: int = 256 * MIB, declared_bytes: int = 1024) -> bytes:
    """A zip bomb whose sheet declares, in the zip's directory and in its local header, that
    it inflates to `declared_bytes` only."""
    content = bytearray(zip_bomb_workbook(inflated_bytes))
    with zipfile.ZipFile(io.BytesIO(bytes(content))) as archive:
        offset = archive.getinfo(SHEET).header_offset
        entry = archive.start_dir
    struct.pack_into("<I", content, offset + 22, declared_bytes)  # the local header's size
    while struct.unpack_from("<I", content, entry + 42)[0] != offset:
        name, extra, comment = struct.unpack_from("<HHH", content, entry + 28)
        entry += 46 + name + extra + comment
    struct.pack_into("<I", content, entry + 24, declared_bytes)  # the directory's
    return bytes(content)


def many_rows_workbook(rows: int) -> bytes:
    """A header and `rows` rows under it, written as XML (faster than openpyxl)."""
    body = f"<row>{text_cell('uscc')}</row>" + "".join(
        f"<row>{text_cell(f'{n:018d}')}</row>" for n in range(rows)
    )
    return with_member(plain_workbook(), SHEET, sheet_xml(body))


def far_row_workbook(row_number: int) -> bytes:
    """One row numbered `row_number`: a reader fills the rows above it with empty ones."""
    body = f'<row r="{row_number}">{text_cell("x")}</row>'
    return with_member(plain_workbook(), SHEET, sheet_xml(body))


def wide_row_workbook(cells: int) -> bytes:
    """A row of `cells` cells (openpyxl builds a row whole before it yields it)."""
    row = "".join(f"<c><v>{n}</v></c>" for n in range(cells))
    return with_member(plain_workbook(), SHEET, sheet_xml(f"<row>{row}</row>"))


def dense_styles_workbook(formats: int) -> bytes:
    """Styles of `formats` bare cell formats: small XML, a large tree once parsed."""
    content = plain_workbook()
    styles = zipfile.ZipFile(io.BytesIO(content)).read(STYLES).decode()
    opening = styles.index(">", styles.index("<cellXfs")) + 1
    dense = styles[:opening] + "".join(f'<xf numFmtId="{n}"/>' for n in range(formats))
    dense += styles[opening:]
    return with_member(content, STYLES, dense.encode())


@dataclass(frozen=True)
class HostileUpload:
    what: str
    content: bytes
    status: int
    says: str  # in the refusal's message


def hostile_uploads() -> list[HostileUpload]:
    """One of each kind, for a service's upload route under its default limits."""
    return [
        HostileUpload("an external entity", external_entity_workbook(), 422, "EntitiesForbidden"),
        HostileUpload("a billion laughs", billion_laughs_workbook(), 422, "EntitiesForbidden"),
        HostileUpload(
            "an entity in the workbook part", external_entity_in_workbook_part(), 422, "DTD"
        ),
        HostileUpload("a zip bomb", zip_bomb_workbook(), 422, "upload_max_member_bytes"),
        HostileUpload("a member lying about its size", lying_workbook(), 422, "CRC"),
        HostileUpload("too many rows", many_rows_workbook(20_000), 422, "upload_max_rows"),
        HostileUpload("a row too wide", wide_row_workbook(40_000), 422, "16,384 columns"),
        HostileUpload("too large", b"PK" + bytes(5_000_000), 413, "upload_max_bytes"),
    ]


async def check_refusals(http: httpx.AsyncClient, path: str, media_type: str) -> None:
    """Posts each of `hostile_uploads` to the upload route `path`: each must be answered
    with its status and one problem naming the field `file` and what it broke."""
    for upload in hostile_uploads():
        files = {"file": ("upload.xlsx", upload.content, media_type)}
        answer = await http.post(path, files=files)
        assert answer.status_code == upload.status, (upload.what, answer.text)
        [problem] = answer.json()["detail"]
        assert problem["field"] == "file", upload.what
        assert upload.says in problem["message"], (upload.what, problem)
