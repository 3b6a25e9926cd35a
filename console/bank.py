"""`firstloan bank publish`: what an integrator runs before (and instead of) wiring a core
system. Each event of the file is checked by the platform's own intake (`check_bank_record`),
as if it had arrived on the institution's topic; only a file without a single bad event is
published."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from aiokafka import AIOKafkaProducer

from shared.bus import producer_options
from shared.consumer import ConsumedRecord, Message
from shared.contracts import EventData
from shared.envelope import STRUCTURED_CONTENT_TYPE, Rejection, to_binary, to_structured
from shared.intake import KnowsInstitutions, check_bank_record
from shared.settings import ServiceSettings

_STRUCTURED_HEADERS = (("content-type", STRUCTURED_CONTENT_TYPE.encode()),)


class Mode(StrEnum):
    STRUCTURED = "structured"
    BINARY = "binary"


@dataclass(frozen=True)
class Line:
    """One event of the input file as the bytes a producer would send in structured mode."""

    where: str
    value: bytes


@dataclass(frozen=True)
class Checked:
    where: str
    outcome: Message[EventData] | Rejection


@dataclass(frozen=True)
class Outgoing:
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


def read_lines(path: Path) -> list[Line]:
    """A JSON file (one event, or an array of events) or JSONL (one event per line)."""
    text = path.read_text(encoding="utf-8")
    whole = _whole_document(text)
    if whole is None:
        return [
            Line(f"line {number}", line.encode())
            for number, line in enumerate(text.splitlines(), start=1)
            if line.strip()
        ]
    if isinstance(whole, list):
        return [
            Line(f"event {number}", json.dumps(event, ensure_ascii=False).encode())
            for number, event in enumerate(whole, start=1)
        ]
    return [Line("event 1", text.encode())]


def _whole_document(text: str) -> object | None:
    try:
        document: object = json.loads(text)
    except json.JSONDecodeError:
        return None
    return document


def check_lines(lines: Sequence[Line], topic: str, reference: KnowsInstitutions) -> list[Checked]:
    return [
        Checked(line.where, check_bank_record(_as_record(topic, line.value), reference))
        for line in lines
    ]


def _as_record(
    topic: str, value: bytes, headers: Sequence[tuple[str, bytes]] = ()
) -> ConsumedRecord:
    return ConsumedRecord(topic, 0, 0, None, value, tuple(headers or _STRUCTURED_HEADERS))


def outgoing(event: Message[EventData], mode: Mode) -> Outgoing:
    """The record to send: key = the enterprise's USCC (or the subject, for reversals)."""
    uscc = getattr(event.payload, "uscc", None) or event.envelope.subject
    encode = to_binary if mode is Mode.BINARY else to_structured
    value, headers = encode(event.envelope)
    return Outgoing(uscc.encode() if uscc else None, value, headers)


def problems(checked: Sequence[Checked]) -> Iterator[str]:
    for item in checked:
        if isinstance(item.outcome, Rejection):
            yield f"{item.where}: {item.outcome.reason.value}: {item.outcome.detail}"


async def publish(settings: ServiceSettings, topic: str, records: Sequence[Outgoing]) -> None:
    producer = AIOKafkaProducer(**producer_options(settings, "cli"))
    await producer.start()
    try:
        for record in records:
            await producer.send_and_wait(
                topic, record.value, key=record.key, headers=record.headers
            )
    finally:
        await producer.stop()
