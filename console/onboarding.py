"""`firstloan bank add`: everything a new bank needs to publish, in one step.

Its Kafka principal (`bank-<id>`, with a generated password), its topic, its ACLs (write
`bank.<id>.…`, read nothing), and its line in the reference data, which the running services
pick up within `reference_reload_seconds`. Running it again for the same bank changes nothing
and prints the same client settings.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from shared.bus import create_topics
from shared.kafka_security import (
    apply_grants,
    bank_grants,
    bank_principal,
    ensure_password,
    password_file,
)
from shared.reference import Institution, ReferenceData, ReferenceDataError, load_reference
from shared.settings import ServiceSettings
from shared.topics import TopicSpec

ROOT = Path(__file__).resolve().parent.parent


class OnboardingError(ValueError):
    """The bank cannot be added as asked (the message says why)."""


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


def _write_atomically(path: Path, text: str) -> None:
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
    if settings.kafka_security != "none":
        ensure_password(settings.secrets_dir, principal)
        _add_scram_user(principal)
    topic = f"bank.{institution.id}.events"
    asyncio.run(_topic_and_rights(settings, topic, institution.id))
    if added:
        _write_atomically(reference_file, text)
    return Onboarded(institution, settings.topic(topic), principal, added)


async def _topic_and_rights(settings: ServiceSettings, topic: str, institution_id: str) -> None:
    await create_topics(settings, [TopicSpec(topic)])
    prefix = f"{settings.namespace}." if settings.namespace else ""
    await apply_grants(settings, bank_grants(institution_id, prefix))


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
    lines = [
        f"bootstrap.servers={settings.kafka_bootstrap}",
        f"topic={onboarded.topic}",
        f"ce source=urn:firstloan:institution:{onboarded.institution.id}",
        "message key=the enterprise's USCC (UTF-8)",
    ]
    if settings.kafka_security == "none":
        return "\n".join([*lines, "security.protocol=PLAINTEXT (development mode)"])
    password = password_file(settings.secrets_dir, onboarded.principal)
    return "\n".join(
        [
            *lines,
            "security.protocol=SASL_PLAINTEXT",
            "sasl.mechanism=SCRAM-SHA-512",
            f"sasl.username={onboarded.principal}",
            f"sasl.password=<the contents of {password}: hand it over out of band>",
            "enable.idempotence=true, acks=all",
        ]
    )
