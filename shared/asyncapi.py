"""The platform's event catalogue as an AsyncAPI 3.0 document: every topic, every event
type and every field, built from the models every consumer validates with, and the same
document as a page rendered here, with no script or style from elsewhere, so that it reads
offline. Matchmaking serves both (`/asyncapi.json`, `/asyncapi`), as the service bank
integrators and fair organizers already deal with: the document's operations are its own."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from shared.contracts import EventData
from shared.contracts.assessment import (
    AttainmentUpdated,
    CircularIssued,
    EscalationAcknowledged,
    EscalationRaised,
    EscalationResolved,
    RectificationClosed,
    RectificationDue,
    TalkHeld,
)
from shared.contracts.bank import BANK_EVENTS
from shared.contracts.ledger import LedgerOverdue, LedgerSubmitted, SpecialReportMissing
from shared.contracts.matchmaking import (
    AttendanceRegistered,
    CultivationPlanRecorded,
    EnterpriseMatched,
    EnterpriseVisited,
    FairScheduled,
    MatchOutcomeRecorded,
    MatchOutcomeReversed,
)
from shared.contracts.roster import (
    EnterpriseAssigned,
    EnterpriseDelisted,
    EnterpriseListed,
    EnterpriseNominated,
    NominationRejected,
    WhitelistPublished,
)
from shared.envelope import TYPE_PREFIX, DeadLetterReason
from shared.intake import BANK_ASYNCAPI_DESCRIPTION
from shared.topics import (
    ASSESSMENT_ATTAINMENT,
    ASSESSMENT_ESCALATIONS,
    DEAD_LETTER,
    LEDGER_EVENTS,
    MATCHMAKING_EVENTS,
    ROSTER_EVENTS,
)

SCHEMAS = "#/components/schemas/"


@dataclass(frozen=True)
class Topic:
    channel: str
    address: str
    description: str
    events: tuple[type[EventData], ...]
    # What matchmaking does on it: it receives the banks' and roster's, sends its own.
    matchmaking: Literal["send", "receive"] | None = None
    received: tuple[type[EventData], ...] = ()


TOPICS = (
    Topic(
        "bankEvents",
        "bank.{institution_id}.events",
        "One topic per institution, written by its core system; key = the enterprise's USCC.",
        BANK_EVENTS,
        "receive",
        BANK_EVENTS,
    ),
    Topic(
        "rosterEvents",
        ROSTER_EVENTS,
        "The cultivation list (roster); key = USCC (`whitelist` for `WhitelistPublished`).",
        (
            EnterpriseNominated,
            EnterpriseListed,
            NominationRejected,
            EnterpriseAssigned,
            EnterpriseDelisted,
            WhitelistPublished,
        ),
        "receive",
        (EnterpriseListed, EnterpriseDelisted),
    ),
    Topic(
        "matchmakingEvents",
        MATCHMAKING_EVENTS,
        "Fairs, attendance, pairings, plans, visits and the pairings' outcomes; key = USCC "
        "(the fair id for `FairScheduled` and an institution's `AttendanceRegistered`).",
        (
            FairScheduled,
            AttendanceRegistered,
            EnterpriseMatched,
            CultivationPlanRecorded,
            EnterpriseVisited,
            MatchOutcomeRecorded,
            MatchOutcomeReversed,
        ),
        "send",
    ),
    Topic(
        "ledgerEvents",
        LEDGER_EVENTS,
        "The monthly work ledger (工作台帐); key = unit id.",
        (LedgerSubmitted, LedgerOverdue, SpecialReportMissing),
    ),
    Topic(
        "assessmentAttainment",
        ASSESSMENT_ATTAINMENT,
        "Each unit's latest figures (compacted); key = unit id.",
        (AttainmentUpdated,),
    ),
    Topic(
        "assessmentEscalations",
        ASSESSMENT_ESCALATIONS,
        "Warnings, talks and circulars, and what supervisors did about them "
        "(acknowledgements, talks held, circulars issued, rectifications due and closed); "
        "key = unit id.",
        (
            EscalationRaised,
            EscalationResolved,
            EscalationAcknowledged,
            TalkHeld,
            CircularIssued,
            RectificationDue,
            RectificationClosed,
        ),
    ),
)


class DeadLetterHeaders(BaseModel):
    """A record a consumer refused, copied as it was read (key, value and headers) with
    these headers added."""

    dlq_reason: DeadLetterReason = Field(description="Why it was refused.")
    dlq_detail: str = Field(description="What exactly is wrong with it, for a person to read.")
    dlq_consumer: str = Field(
        description="The consumer that refused it, `<service>.<subscription>`.",
        examples=["matchmaking.bank"],
    )
    dlq_topic: str = Field(description="The topic it was read from.")
    dlq_partition: str = Field(description="Its partition there, in decimal.")
    dlq_offset: str = Field(description="Its offset there, in decimal.")


DEAD_LETTERS = "deadLetters"
DEAD_LETTER_MESSAGE = "DeadLetter"
_DEAD_LETTERS_DESCRIPTION = (
    "Every record a consumer refused, in the order refused (one partition); key = the record's own."
)


def event_types() -> list[str]:
    """Every event type the document describes, as CloudEvents `type`."""
    return [TYPE_PREFIX + m.event_name() for t in TOPICS for m in t.events]


@cache
def document() -> dict[str, Any]:
    # Bank events are documented as accepted (validation), the platform's as written.
    events: list[tuple[type[EventData], JsonSchemaMode]] = [
        (m, "validation" if t.channel == "bankEvents" else "serialization")
        for t in TOPICS
        for m in t.events
    ]
    dead_letter_headers: tuple[type[BaseModel], JsonSchemaMode] = (
        DeadLetterHeaders,
        "serialization",
    )
    keys, definitions = models_json_schema(
        [*events, dead_letter_headers], ref_template=SCHEMAS + "{model}"
    )
    messages = {
        m.event_name(): {
            "name": TYPE_PREFIX + m.event_name(),
            "title": m.event_name(),
            "summary": _doc(m),
            "contentType": "application/json",
            "payload": keys[(m, mode)],
        }
        for m, mode in events
    }
    messages[DEAD_LETTER_MESSAGE] = {
        "name": DEAD_LETTER_MESSAGE,
        "title": DEAD_LETTER_MESSAGE,
        "summary": _doc(DeadLetterHeaders),
        # Whatever the refused record held, JSON or not.
        "contentType": "application/octet-stream",
        "headers": keys[dead_letter_headers],
        "payload": {"description": "The refused record's value, byte for byte."},
    }
    channels = {
        t.channel: _channel(t.address, t.description, [m.event_name() for m in t.events])
        for t in TOPICS
    }
    channels[DEAD_LETTERS] = _channel(DEAD_LETTER, _DEAD_LETTERS_DESCRIPTION, [DEAD_LETTER_MESSAGE])
    operations = dict(
        _operation(t.matchmaking, t.channel, [m.event_name() for m in (t.received or t.events)])
        for t in TOPICS
        if t.matchmaking is not None
    )
    # Matchmaking's consumers refuse records like every other consumer.
    operations.update([_operation("send", DEAD_LETTERS, [DEAD_LETTER_MESSAGE])])
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Firstloan platform events",
            "version": "1.0.0",
            "description": "Every topic of the platform and the `data` of every CloudEvent "
            "on it (operations: what matchmaking sends and receives).\n\n"
            + BANK_ASYNCAPI_DESCRIPTION,
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {"host": "127.0.0.1:9092", "protocol": "kafka", "description": "Kafka"}
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": definitions.get("$defs", {})},
    }


def _channel(address: str, description: str, message_names: list[str]) -> dict[str, Any]:
    channel: dict[str, Any] = {
        "address": address,
        "description": description,
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in message_names},
    }
    if "{institution_id}" in address:
        channel["parameters"] = {"institution_id": {"description": "The institution's id."}}
    return channel


def _operation(
    action: Literal["send", "receive"], channel: str, message_names: list[str]
) -> tuple[str, dict[str, Any]]:
    return f"{action}{channel[0].upper()}{channel[1:]}", {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"} for name in message_names],
    }


def _doc(model: type[BaseModel]) -> str:
    return " ".join((model.__doc__ or "").split())


# --- the page -------------------------------------------------------------------------

_STYLE = """
body { font-family: sans-serif; max-width: 70em; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
h2 { border-bottom: 2px solid #446; padding-bottom: .2em; margin-top: 2em; }
h3 { margin-bottom: .2em; } code { background: #f3f3f6; padding: 0 .2em; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1.5em; }
th, td { border: 1px solid #ccd; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #eef; } .type { font-family: monospace; overflow-wrap: anywhere; }
.required { color: #a00; } pre { white-space: pre-wrap; background: #f7f7f9; padding: 1em; }
nav a { margin-right: 1em; }
"""


@cache
def page() -> str:
    spec = document()
    schemas: dict[str, Any] = spec["components"]["schemas"]
    messages: dict[str, Any] = spec["components"]["messages"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(spec['info']['title'])}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(spec['info']['title'])} <small>{_e(spec['info']['version'])}</small></h1>",
        f"<pre>{_e(spec['info']['description'])}</pre>",
        "<nav>"
        + "".join(
            f"<a href='#channel-{c}'>{_e(v['address'])}</a>" for c, v in spec["channels"].items()
        )
        + "</nav>",
    ]
    received = {
        ref["$ref"].rsplit("/", 1)[-1]: op["action"]
        for op in spec["operations"].values()
        for ref in op["messages"]
    }
    for name, channel in spec["channels"].items():
        parts.append(
            f"<h2 id='channel-{_e(name)}'>Topic <code>{_e(channel['address'])}</code></h2>"
        )
        parts.append(f"<p>{_e(channel['description'])}</p>")
        for message_name in channel["messages"]:
            message = messages[message_name]
            action = received.get(message_name)
            role = f" <small>(matchmaking {action}s it)</small>" if action else ""
            parts.append(
                f"<h3 id='message-{_e(message_name)}'><code>{_e(message['name'])}</code>{role}</h3>"
            )
            parts.append(f"<p>{_e(message['summary'])}</p>")
            if "headers" in message:
                headers = _resolve(message["headers"], schemas)
                parts.append("<h4>Headers</h4>" + _fields_table(headers, schemas))
            payload = _resolve(message["payload"], schemas)
            if "properties" in payload:
                parts.append(_fields_table(payload, schemas))
            else:
                parts.append(f"<p>Value: {_e(payload.get('description', ''))}</p>")
    parts.append("<h2 id='types'>Types</h2>")
    # Those a message's section already shows field by field.
    shown = {
        ref.removeprefix(SCHEMAS)
        for message in messages.values()
        for part in ("headers", "payload")
        if isinstance(ref := message.get(part, {}).get("$ref"), str)
    }
    for name, schema in sorted(schemas.items()):
        if name in shown:
            continue
        parts.append(f"<h3 id='schema-{_e(name)}'>{_e(name)}</h3>")
        if schema.get("description"):
            parts.append(f"<p>{_e(' '.join(schema['description'].split()))}</p>")
        if "enum" in schema:
            parts.append(
                "<p>One of: "
                + ", ".join(f"<code>{_e(str(v))}</code>" for v in schema["enum"])
                + "</p>"
            )
        else:
            parts.append(_fields_table(schema, schemas))
    parts.append("</body></html>")
    return "\n".join(parts)


def _fields_table(schema: dict[str, Any], schemas: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    rows = ["<table><tr><th>field</th><th>type</th><th>description</th></tr>"]
    for field, spec in schema.get("properties", {}).items():
        mark = " <span class='required'>required</span>" if field in required else ""
        description = spec.get("description") or _resolve(spec, schemas).get("description", "")
        rows.append(
            f"<tr><td><code>{_e(field)}</code>{mark}</td>"
            f"<td class='type'>{_type_of(spec, schemas)}</td>"
            f"<td>{_e(' '.join(str(description).split()))}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _resolve(spec: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    ref = spec.get("$ref")
    if isinstance(ref, str) and ref.startswith(SCHEMAS):
        resolved: dict[str, Any] = schemas[ref.removeprefix(SCHEMAS)]
        return resolved
    return spec


def _type_of(spec: dict[str, Any], schemas: dict[str, Any]) -> str:
    """A short, readable type: `string (date)`, `list of X`, a link to a named type."""
    ref = spec.get("$ref")
    if isinstance(ref, str):
        name = ref.removeprefix(SCHEMAS)
        target = schemas.get(name, {})
        values = target.get("enum")
        linked = f"<a href='#schema-{_e(name)}'>{_e(name)}</a>"
        if values:
            return linked + ": " + " | ".join(_e(str(v)) for v in values)
        return linked
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in spec:
            options: Sequence[dict[str, Any]] = spec[combined]
            return " or ".join(_type_of(option, schemas) for option in options)
    kind = spec.get("type", "any")
    if kind == "array":
        return "list of " + _type_of(spec.get("items", {}), schemas)
    if kind == "object" and "additionalProperties" in spec:
        inner = spec["additionalProperties"]
        value = _type_of(inner, schemas) if isinstance(inner, dict) else "any"
        return "map of string to " + value
    shown = _e(str(kind))
    if "format" in spec:
        shown += f" ({_e(spec['format'])})"
    if "pattern" in spec:
        shown += f" <code>{_e(spec['pattern'])}</code>"
    return shown


def _e(text: str) -> str:
    return html.escape(text, quote=True)
