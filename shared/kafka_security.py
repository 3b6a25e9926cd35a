"""Who may do what on Kafka: principals, their generated passwords, and their ACLs.

Every client authenticates with SASL/SCRAM-SHA-512 as a principal of its own; the broker's
StandardAuthorizer denies whatever no ACL allows (`allow.everyone.if.no.acl.found=false`).

- `admin` provisions (topics, ACLs, principals); operators' tools and the test harness use it.
- each service reads its input topics, commits offsets in its own consumer groups
  (`<service>.<consumer>`), and writes only its own output topics and the dead-letter topic;
- each bank (`bank-<institution id>`) may write only topics named `bank.<its id>.…` and read
  nothing: the platform, not the bank, decides what its events count for;
- the Fineract adapter (`fineract`) reads the Fineract topics its mapping names and writes the
  dead-letter topic and, for each mapped instance, that one bank's `bank.<id>.events`; the
  bank's own principal may write its Fineract topic (`fineract_grants`).
- a supervisors' own system (`subscriber-<name>`, made by `firstloan subscriber add`) reads
  `assessment.escalations` and `assessment.attainment` in consumer groups `subscriber.<name>.…`
  and writes nothing.

Passwords are generated on first use into `<secrets_dir>/kafka/<principal>.password` (mode
0600) and never leave the machine. `python -m shared.kafka_security scram-arguments` prints
the `--add-scram` arguments with which `deploy/kafka.sh` formats a new broker's storage.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import secrets
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import CreateAclsRequest
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    CompactArray,
    CompactBytes,
    CompactString,
    Int8,
    Int16,
    Int32,
    Schema,
    TaggedFields,
)

from shared.campaigns import CampaignBook, load_campaigns
from shared.settings import ServiceSettings
from shared.topics import (
    ASSESSMENT_ATTAINMENT,
    ASSESSMENT_ESCALATIONS,
    DEAD_LETTER,
    LEDGER_EVENTS,
    MATCHMAKING_EVENTS,
    ROSTER_EVENTS,
)

ADMIN = "admin"
BROKER = "broker"
CONTROLLER = "controller"
BANK_TOPICS = "bank."
SUBSCRIBER_GROUPS = "subscriber."
SUBSCRIBER_READS = (ASSESSMENT_ESCALATIONS, ASSESSMENT_ATTAINMENT)


def bank_principal(institution_id: str) -> str:
    return f"bank-{institution_id}"


def subscriber_principal(name: str) -> str:
    return f"subscriber-{name}"


def subscriber_groups(name: str) -> str:
    """The prefix of every consumer group the subscriber may use."""
    return f"{SUBSCRIBER_GROUPS}{name}."


@dataclass(frozen=True)
class Rights:
    """A service's least rights: what it reads (topics, and bank topics by prefix) and what
    it writes. Consumer groups are always `<service>.…`."""

    reads: tuple[str, ...]
    writes: tuple[str, ...]
    reads_bank_topics: bool = True


SERVICE_RIGHTS: dict[str, Rights] = {
    "roster": Rights(reads=(MATCHMAKING_EVENTS,), writes=(ROSTER_EVENTS, DEAD_LETTER)),
    "matchmaking": Rights(reads=(ROSTER_EVENTS,), writes=(MATCHMAKING_EVENTS, DEAD_LETTER)),
    "ledger": Rights(
        reads=(ROSTER_EVENTS, MATCHMAKING_EVENTS), writes=(LEDGER_EVENTS, DEAD_LETTER)
    ),
    "assessment": Rights(
        # Its own output topics too: the dashboard's live feed reads them back.
        reads=(
            ROSTER_EVENTS,
            MATCHMAKING_EVENTS,
            LEDGER_EVENTS,
            ASSESSMENT_ATTAINMENT,
            ASSESSMENT_ESCALATIONS,
        ),
        writes=(ASSESSMENT_ATTAINMENT, ASSESSMENT_ESCALATIONS, DEAD_LETTER),
    ),
    # Its Fineract topics and bank topics are granted per mapped instance (fineract_grants).
    "fineract": Rights(reads=(), writes=(DEAD_LETTER,), reads_bank_topics=False),
}
FINERACT_ADAPTER = "fineract"


def principals(reference: CampaignBook) -> list[str]:
    """Every SCRAM principal a broker is formatted with."""
    banks = [bank_principal(i.id) for i in reference.institutions]
    return [ADMIN, BROKER, *SERVICE_RIGHTS, *banks]


# --- passwords ----------------------------------------------------------------------------


def password_file(secrets_dir: Path, principal: str) -> Path:
    return secrets_dir / "kafka" / f"{principal}.password"


def ensure_password(secrets_dir: Path, principal: str) -> str:
    """The principal's password, generated (and kept, mode 0600) the first time."""
    path = password_file(secrets_dir, principal)
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    password = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(password + "\n")
    return password


def read_password(secrets_dir: Path, principal: str) -> str:
    path = password_file(secrets_dir, principal)
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        raise RuntimeError(
            f"no Kafka password for principal {principal!r} at {path}: `make up` creates "
            "the platform's principals, `firstloan bank add` a bank's, `firstloan "
            "subscriber add` a subscriber's"
        ) from None


# --- ACLs ---------------------------------------------------------------------------------


class Resource(IntEnum):
    TOPIC = 2
    GROUP = 3


class Pattern(IntEnum):
    LITERAL = 3
    PREFIXED = 4


class Operation(IntEnum):
    READ = 3
    WRITE = 4
    DESCRIBE = 8


ALLOW = 3


@dataclass(frozen=True)
class Grant:
    principal: str
    resource: Resource
    name: str
    pattern: Pattern
    operation: Operation


def _topic(principal: str, name: str, pattern: Pattern, *ops: Operation) -> list[Grant]:
    return [Grant(principal, Resource.TOPIC, name, pattern, op) for op in ops]


def _reader_grants(principal: str, groups: str, reads: Iterable[str], prefix: str) -> list[Grant]:
    """Consumer groups named `groups…` and the topics `reads`."""
    read, describe = Operation.READ, Operation.DESCRIBE
    grants = [Grant(principal, Resource.GROUP, prefix + groups, Pattern.PREFIXED, read)]
    for topic in reads:
        grants += _topic(principal, prefix + topic, Pattern.LITERAL, read, describe)
    return grants


def service_grants(service: str, rights: Rights, prefix: str) -> list[Grant]:
    """`prefix` is the namespace's (`t1a2b.`), empty for the platform itself."""
    read, write, describe = Operation.READ, Operation.WRITE, Operation.DESCRIBE
    grants = _reader_grants(service, f"{service}.", rights.reads, prefix)
    for topic in rights.writes:
        grants += _topic(service, prefix + topic, Pattern.LITERAL, write, describe)
    if rights.reads_bank_topics:
        grants += _topic(service, prefix + BANK_TOPICS, Pattern.PREFIXED, read, describe)
    return grants


def bank_grants(institution_id: str, prefix: str) -> list[Grant]:
    name = f"{prefix}{BANK_TOPICS}{institution_id}."
    principal = bank_principal(institution_id)
    return _topic(principal, name, Pattern.PREFIXED, Operation.WRITE, Operation.DESCRIBE)


def subscriber_grants(name: str, prefix: str) -> list[Grant]:
    """What a supervisors' own system reads: escalations and attainment, nothing else."""
    principal = subscriber_principal(name)
    return _reader_grants(principal, subscriber_groups(name), SUBSCRIBER_READS, prefix)


def fineract_grants(institution_id: str, fineract_topic: str, prefix: str) -> list[Grant]:
    """One Fineract instance of a bank: the bank's Fineract writes `fineract_topic` under the
    bank's principal, the adapter reads it and writes that bank's topic, and no other."""
    read, write, describe = Operation.READ, Operation.WRITE, Operation.DESCRIBE
    source = prefix + fineract_topic
    bank_topic = f"{prefix}{BANK_TOPICS}{institution_id}.events"
    return [
        *_topic(bank_principal(institution_id), source, Pattern.LITERAL, write, describe),
        *_topic(FINERACT_ADAPTER, source, Pattern.LITERAL, read, describe),
        *_topic(FINERACT_ADAPTER, bank_topic, Pattern.LITERAL, write, describe),
    ]


def platform_grants(reference: CampaignBook, namespace: str = "") -> list[Grant]:
    prefix = f"{namespace}." if namespace else ""
    grants = [g for s, r in SERVICE_RIGHTS.items() for g in service_grants(s, r, prefix)]
    return grants + [g for i in reference.institutions for g in bank_grants(i.id, prefix)]


async def apply_grants(settings: ServiceSettings, grants: Iterable[Grant]) -> None:
    """Create the ACLs (creating one that exists is a no-op for the broker).

    aiokafka has no public call for ACLs, and Kafka's AclCommand costs a JVM start per call;
    the CreateAcls request (API key 30) is sent as aiokafka's own protocol class."""
    if settings.kafka_security == "none":
        return
    from shared.bus import admin_client

    admin = admin_client(settings)
    await admin.start()
    try:
        await asyncio.gather(*(_create(admin, g) for g in grants))
    finally:
        await admin.close()


async def _create(admin: AIOKafkaAdminClient, grant: Grant) -> None:
    request = CreateAclsRequest(
        resource_type=grant.resource,
        resource_name=grant.name,
        resource_pattern_type_filter=grant.pattern,
        principal=f"User:{grant.principal}",
        host="*",
        operation=grant.operation,
        permission_type=ALLOW,
    )
    response = await admin._send_request(request)
    for error_code, message in response.creation_responses:
        if error_code:
            raise RuntimeError(f"ACL {grant} refused: {error_code} {message}")


# --- principals added to a running broker -------------------------------------------------

SCRAM_SHA_512 = 2
SCRAM_ITERATIONS = 4096


class _AlterUserScramCredentialsResponse(Response):  # type: ignore[misc]
    API_KEY = 51
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "results",
            CompactArray(
                ("user", CompactString("utf-8")),
                ("error_code", Int16),
                ("error_message", CompactString("utf-8")),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _AlterUserScramCredentialsStruct(RequestStruct):  # type: ignore[misc]
    FLEXIBLE_VERSION = True
    API_KEY = 51
    API_VERSION = 0
    RESPONSE_TYPE = _AlterUserScramCredentialsResponse
    SCHEMA = Schema(
        (
            "deletions",
            CompactArray(
                ("name", CompactString("utf-8")), ("mechanism", Int8), ("tags", TaggedFields)
            ),
        ),
        (
            "upsertions",
            CompactArray(
                ("name", CompactString("utf-8")),
                ("mechanism", Int8),
                ("iterations", Int32),
                ("salt", CompactBytes),
                ("salted_password", CompactBytes),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _AlterUserScramCredentials(Request[_AlterUserScramCredentialsStruct]):  # type: ignore[misc]
    API_KEY = 51

    def __init__(self, name: str, password: str) -> None:
        self._name = name
        self._password = password

    def build(
        self, request_struct_class: type[_AlterUserScramCredentialsStruct]
    ) -> _AlterUserScramCredentialsStruct:
        salt = secrets.token_bytes(32)
        salted = hashlib.pbkdf2_hmac("sha512", self._password.encode(), salt, SCRAM_ITERATIONS)
        upsertion: tuple[object, ...] = (
            self._name,
            SCRAM_SHA_512,
            SCRAM_ITERATIONS,
            salt,
            salted,
            {},
        )
        return request_struct_class([], [upsertion], {})


async def ensure_principals(settings: ServiceSettings, names: Iterable[str]) -> list[str]:
    """Give each principal that has no password yet one, and its SCRAM credentials on the
    running broker (as admin): a service added after the broker was formatted (which knew
    only the principals of its day) can then authenticate. A principal with a password is
    left alone, so a running client's credentials never change under it. Returns the names
    added."""
    missing = [n for n in names if not password_file(settings.secrets_dir, n).exists()]
    if settings.kafka_security == "none" or not missing:
        return []
    from shared.bus import admin_client

    admin = admin_client(settings)
    await admin.start()
    try:
        for name in missing:
            request = _AlterUserScramCredentials(name, ensure_password(settings.secrets_dir, name))
            response = await admin._send_request(request)
            for user, error_code, message, _ in response.results:
                if error_code:
                    raise RuntimeError(f"SCRAM credentials of {user} refused: {message}")
    finally:
        await admin.close()
    return missing


# --- command line (deploy/kafka.sh) -------------------------------------------------------


def scram_arguments(secrets_dir: Path, names: Sequence[str]) -> list[str]:
    return [
        f"SCRAM-SHA-512=[name={name},password={ensure_password(secrets_dir, name)}]"
        for name in names
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["scram-arguments", "password"])
    parser.add_argument("principal", nargs="?")
    args = parser.parse_args()
    settings = ServiceSettings(service="provision")
    if args.command == "password":
        print(ensure_password(settings.secrets_dir, args.principal or parser.error("principal")))
        return
    reference = load_campaigns(settings.campaigns)
    for argument in scram_arguments(settings.secrets_dir, principals(reference)):
        sys.stdout.write(f"--add-scram\n{argument}\n")


if __name__ == "__main__":
    main()
