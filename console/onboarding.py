"""`firstloan bank add`: everything a new bank needs to publish, in one step.

Its Kafka principal (`bank-<id>`, with a generated password), its topic, its ACLs (write
`bank.<id>.…`, read nothing), and its line in the reference data, which the running services
pick up within `reference_reload_seconds`. Running it again for the same bank changes nothing
and prints the same client settings.

`firstloan subscriber add`: a supervisors' own system reading escalations and attainment on
Kafka: its principal (`subscriber-<name>`) and its ACLs (`shared.kafka_security`,
`subscriber_grants`). Running it again changes nothing either.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.bus import create_topics
from shared.kafka_security import (
    SUBSCRIBER_READS,
    apply_grants,
    bank_grants,
    bank_principal,
    ensure_password,
    password_file,
    subscriber_grants,
    subscriber_groups,
    subscriber_principal,
)
from shared.reference import Institution, ReferenceData, ReferenceDataError, load_reference
from shared.settings import ServiceSettings
from shared.topics import TopicSpec

ROOT = Path(__file__).resolve().parent.parent
# No dots: a subscriber's groups are a prefix, `subscriber.<name>.`, and with dots allowed `a`
# would hold the groups of `a.b`.
SUBSCRIBER_NAME = re.compile(r"[a-z][a-z0-9-]{1,31}")


class OnboardingError(ValueError):
    """The bank or subscriber cannot be added as asked (the message says why)."""


class InvalidNameError(OnboardingError):
    """The name given is not one a principal may have."""


@dataclass(frozen=True)
class Onboarded:
    institution: Institution
    topic: str
    principal: str
    added: bool  # False: it was already there


def with_institution(text: str, source: Path, institution: Institution) -> tuple[str, bool]:
    """The reference file's text with the institution added, checked as the services will
    check it; unchanged when the same institution is already there."""
    current = _parsed(text, source)
    known = {i.id: i for i in current.institutions}
    if institution.id in known:
        if known[institution.id] != institution:
            raise OnboardingError(
                f"institution {institution.id!r} exists with other details: {known[institution.id]}"
            )
        return text, False
    block = "".join(
        f"{key} = {json.dumps(value, ensure_ascii=False)}\n"
        for key, value in (
            ("id", institution.id),
            ("name", institution.name),
            ("category", institution.category),
        )
    )
    updated = f"{text.rstrip()}\n\n[[institutions]]\n{block}"
    _parsed(updated, source)
    return updated, True


def _parsed(text: str, source: Path) -> ReferenceData:
    with tempfile.NamedTemporaryFile("w", suffix=".toml", encoding="utf-8", delete=False) as f:
        f.write(text)
    try:
        return load_reference(Path(f.name))
    except ReferenceDataError as error:
        raise OnboardingError(f"{source}: {error}") from error
    finally:
        os.unlink(f.name)


def write_atomically(path: Path, text: str) -> None:
    temporary = path.with_suffix(path.suffix + ".new")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def add_bank(
    settings: ServiceSettings, reference_file: Path, institution: Institution
) -> Onboarded:
    """Principal and rights first, the reference data last: a bank the services know of can
    always publish."""
    text, added = with_institution(
        reference_file.read_text(encoding="utf-8"), reference_file, institution
    )
    principal = bank_principal(institution.id)
    ensure_principal(settings, principal)
    topic = f"bank.{institution.id}.events"
    asyncio.run(topic_and_rights(settings, topic, institution.id))
    if added:
        write_atomically(reference_file, text)
    return Onboarded(institution, settings.topic(topic), principal, added)


async def topic_and_rights(settings: ServiceSettings, topic: str, institution_id: str) -> None:
    await create_topics(settings, [TopicSpec(topic)])
    await apply_grants(settings, bank_grants(institution_id, topic_prefix(settings)))


def topic_prefix(settings: ServiceSettings) -> str:
    """What the namespace puts before every topic and group name."""
    return f"{settings.namespace}." if settings.namespace else ""


def ensure_principal(settings: ServiceSettings, principal: str) -> bool:
    """Its password (generated the first time) and its SCRAM credentials on the broker, set
    again each time: a broker formatted since still gets them. True when it is new."""
    new = not password_file(settings.secrets_dir, principal).exists()
    if settings.kafka_security != "none":
        ensure_password(settings.secrets_dir, principal)
        _add_scram_user(principal)
    return new


def _add_scram_user(principal: str) -> None:
    done = subprocess.run(
        [str(ROOT / "deploy" / "kafka.sh"), "add-user", principal],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise OnboardingError(f"creating Kafka principal {principal}: {done.stderr.strip()}")


def client_settings(settings: ServiceSettings, onboarded: Onboarded) -> str:
    """What the bank's integrators configure (also in docs/bank-integration.md)."""
    what = (
        f"topic={onboarded.topic}",
        f"ce source=urn:firstloan:institution:{onboarded.institution.id}",
        "message key=the enterprise's USCC (UTF-8)",
    )
    return _connection(settings, onboarded.principal, what, "enable.idempotence=true, acks=all")


def _connection(
    settings: ServiceSettings, principal: str, what: Sequence[str], *secured: str
) -> str:
    """Where to connect, `what` the client does there, how to authenticate as `principal`,
    then `secured` (settings that only a secured broker takes)."""
    lines = [f"bootstrap.servers={settings.kafka_bootstrap}", *what]
    if settings.kafka_security == "none":
        return "\n".join([*lines, "security.protocol=PLAINTEXT (development mode)"])
    password = password_file(settings.secrets_dir, principal)
    return "\n".join(
        [
            *lines,
            "security.protocol=SASL_PLAINTEXT",
            "sasl.mechanism=SCRAM-SHA-512",
            f"sasl.username={principal}",
            f"sasl.password=<the contents of {password}: hand it over out of band>",
            *secured,
        ]
    )


# --- subscribers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscriber:
    name: str
    principal: str
    topics: tuple[str, ...]  # as the subscriber reads them (namespaced)
    groups: str  # the prefix of its consumer groups (namespaced)
    added: bool  # False: it was already there


def check_subscriber_name(name: str) -> None:
    if not SUBSCRIBER_NAME.fullmatch(name):
        raise InvalidNameError(
            f"subscriber name {name!r}: 2 to 32 characters, lower-case letters, digits and "
            "'-', starting with a letter (e.g. supervision-desk)"
        )


def add_subscriber(settings: ServiceSettings, name: str) -> Subscriber:
    """The principal, then its rights. The topics are the platform's own, created by
    provisioning."""
    check_subscriber_name(name)
    principal = subscriber_principal(name)
    added = ensure_principal(settings, principal)
    asyncio.run(apply_grants(settings, subscriber_grants(name, topic_prefix(settings))))
    return Subscriber(
        name,
        principal,
        tuple(settings.topic(t) for t in SUBSCRIBER_READS),
        settings.topic(subscriber_groups(name)),
        added,
    )


def subscriber_settings(settings: ServiceSettings, subscriber: Subscriber) -> str:
    """What the subscriber's system configures (also in docs/operations.md)."""
    what = (
        f"topics={','.join(subscriber.topics)}",
        f"group.id={subscriber.groups}<any name of yours>",
        "records=CloudEvents 1.0, structured mode; key=the unit id",
    )
    return _connection(settings, subscriber.principal, what)
