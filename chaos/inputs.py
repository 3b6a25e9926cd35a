"""What the chaos load sends: nominations over HTTP, bank events on the bank topics, and bad
input of every kind the intake names, each bad record marked with a header so that the bad
records on the log can be counted afterwards, whatever a retried send duplicated.

Plain data and a seeded random generator: the same seed gives the same campaign.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from shared.contracts.bank import BANK_SOURCE_PREFIX
from shared.envelope import (
    DeadLetterReason,
    Envelope,
    new_event,
    parse_record,
    to_binary,
    to_structured,
)
from shared.reference import ReferenceData
from shared.validators import uscc_check_character

BAD_MARK = "chaos-bad"
"""Header on every bad record the load sends (its value: the expected rejection reason)."""
UNKNOWN_INSTITUTION = "nobody"
"""A bank topic named for no institution of the reference data."""
STRUCTURED = ("content-type", b"application/cloudevents+json")


@dataclass(frozen=True)
class BankRecord:
    """One record for a bank topic: `institution` names the topic (`bank.<it>.events`)
    and the producer; `event` is (source, id, type name) of a valid event, None for bad
    input, whose `bad` is the reason the platform must give."""

    institution: str
    key: bytes
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    event: tuple[str, str, str] | None = None
    bad: DeadLetterReason | None = None


@dataclass(frozen=True)
class Nomination:
    uscc: str
    body: dict[str, Any]


class Inputs:
    def __init__(self, reference: ReferenceData, seed: int) -> None:
        self.random = random.Random(seed)
        self.counties = [c.code for c in reference.counties]
        self.banks = [i.id for i in reference.institutions if i.category != "policy"]
        self.start = reference.campaign.start
        self.serial = 0
        self.loans: list[BankRecord] = []
        """Valid loans on the log (see `sent`): a conflicting duplicate reuses one's id."""

    def uscc(self, county: str) -> str:
        self.serial += 1
        body = f"91{county}CH{self.serial:07d}"
        return body + uscc_check_character(body)

    def nomination(self) -> Nomination:
        county = self.random.choice(self.counties)
        uscc = self.uscc(county)
        body = {
            "uscc": uscc,
            "name": f"忻州混沌试验{self.serial}号商贸有限公司",
            "county_code": county,
            "size_class": self.random.choice(["micro", "small"]),
            "source": "government",
            "nominated_by": "经信局",
            "nominated_on": (self.start + timedelta(days=self.random.randrange(30))).isoformat(),
            "no_loan_in_5y_attested": True,
        }
        return Nomination(uscc, body)

    def bad_nomination(self) -> dict[str, Any]:
        """A body the API must refuse with a 4xx naming the field."""
        body = dict(self.nomination().body)
        broken = self.random.choice(["uscc", "county_code", "nominated_on", "missing"])
        if broken == "uscc":
            body["uscc"] = body["uscc"][:-1] + ("0" if body["uscc"][-1] != "0" else "1")
        elif broken == "county_code":
            body["county_code"] = "999999"
        elif broken == "nominated_on":
            body["nominated_on"] = "2020-13-45"
        else:
            del body["name"]
        return body

    def bank_events(self, nomination: Nomination) -> list[BankRecord]:
        """A credit, a loan, now and then the loan's reversal: what banks say of one
        enterprise."""
        bank = self.random.choice(self.banks)
        day = self.start + timedelta(days=30 + self.random.randrange(60))
        common = {
            "institution_id": bank,
            "uscc": nomination.uscc,
            "enterprise_name": nomination.body["name"],
        }
        credit = {
            **common,
            "credit_id": f"C{self.serial}",
            "amount_wan": f"{self.random.randrange(10, 500)}.00",
            "granted_on": day.isoformat(),
            "guarantee": "credit",
        }
        loan_id = f"L{self.serial}"
        loan = {
            **common,
            "loan_id": loan_id,
            "amount_wan": f"{self.random.randrange(10, 500)}.00",
            "issued_on": (day + timedelta(days=3)).isoformat(),
            "first_loan_attested": True,
            "guarantee": "credit",
        }
        records = [
            self._valid(bank, nomination.uscc, "CreditGranted", credit),
            self._valid(bank, nomination.uscc, "LoanIssued", loan),
        ]
        if self.random.random() < 0.1:
            reversal = {
                "institution_id": bank,
                "loan_id": loan_id,
                "reversed_on": (day + timedelta(days=9)).isoformat(),
                "reason": "录入错误",
            }
            records.append(self._valid(bank, nomination.uscc, "LoanReversed", reversal))
        return records

    def _valid(self, bank: str, key: str, name: str, data: dict[str, Any]) -> BankRecord:
        event = new_event(name, BANK_SOURCE_PREFIX + bank, data, subject=data.get("uscc"))
        # Banks may use either mode; consumers accept both.
        value, headers = (to_binary if self.random.random() < 0.3 else to_structured)(event)
        return BankRecord(
            bank, key.encode(), value, tuple(headers), event=(event.source, event.id, name)
        )

    def sent(self, record: BankRecord) -> None:
        """`record` is on the log (its send acknowledged): a loan's id may be reused by a
        conflicting duplicate from now on, which lands after it in its partition."""
        if record.event is not None and record.event[2] == "LoanIssued":
            self.loans.append(record)

    def bad_record(self, reason: DeadLetterReason) -> BankRecord | None:
        """A bad record the platform must dead-letter for `reason` (None: no loan yet whose
        id a conflicting duplicate could reuse)."""
        if reason is DeadLetterReason.CONFLICTING_DUPLICATE:
            return self.conflicting()
        return self.bad(reason)

    def bad(self, reason: DeadLetterReason) -> BankRecord:
        """A bad record the intake must dead-letter for `reason`."""
        nomination = self.nomination()
        loan = self.bank_events(nomination)[1]  # never sent as such
        envelope = _structured_of(loan)
        institution = loan.institution
        key = loan.key
        if reason is DeadLetterReason.INVALID_JSON:
            value: bytes = b'{"specversion": "1.0", "id": '
        elif reason is DeadLetterReason.NOT_CLOUDEVENT:
            value = json.dumps({"loan_id": "L1", "note": "a bare JSON object"}).encode()
        elif reason is DeadLetterReason.UNKNOWN_TYPE:
            value = json.dumps({**envelope, "type": "cn.firstloan.LoanRestructured"}).encode()
        elif reason is DeadLetterReason.INVALID_DATA:
            data = {**envelope["data"], "uscc": nomination.uscc[:-1] + "I"}  # not in the alphabet
            value = json.dumps({**envelope, "data": data}).encode()
        elif reason is DeadLetterReason.SPOOFED_ORIGIN:
            other = self.random.choice([b for b in self.banks if b != institution])
            value = json.dumps({**envelope, "source": BANK_SOURCE_PREFIX + other}).encode()
        elif reason is DeadLetterReason.UNKNOWN_INSTITUTION:
            institution = UNKNOWN_INSTITUTION
            source = BANK_SOURCE_PREFIX + UNKNOWN_INSTITUTION
            data = {**envelope["data"], "institution_id": UNKNOWN_INSTITUTION}
            value = json.dumps({**envelope, "source": source, "data": data}).encode()
        elif reason is DeadLetterReason.CONFLICTING_DUPLICATE:
            raise ValueError("a conflicting duplicate copies a loan sent: use conflicting()")
        else:
            raise ValueError(f"no bad input of kind {reason}")
        return _marked(institution, key, value, reason)

    def conflicting(self) -> BankRecord | None:
        """Another content under the (source, id) of a loan already sent, on its key (so
        its partition, after it): the intake keeps the first and dead-letters this one."""
        if not self.loans:
            return None
        original = self.random.choice(self.loans)
        envelope = _structured_of(original)
        data = {**envelope["data"], "amount_wan": "999.99"}
        value = json.dumps({**envelope, "data": data}).encode()
        return _marked(
            original.institution, original.key, value, DeadLetterReason.CONFLICTING_DUPLICATE
        )


BAD_KINDS = (
    DeadLetterReason.INVALID_JSON,
    DeadLetterReason.NOT_CLOUDEVENT,
    DeadLetterReason.UNKNOWN_TYPE,
    DeadLetterReason.INVALID_DATA,
    DeadLetterReason.SPOOFED_ORIGIN,
    DeadLetterReason.UNKNOWN_INSTITUTION,
    DeadLetterReason.CONFLICTING_DUPLICATE,
)


def _marked(institution: str, key: bytes, value: bytes, reason: DeadLetterReason) -> BankRecord:
    headers = (STRUCTURED, (BAD_MARK, reason.value.encode()))
    return BankRecord(institution, key, value, headers, bad=reason)


def _structured_of(record: BankRecord) -> dict[str, Any]:
    """The event of a valid record as a structured-mode JSON object, whichever mode it was
    sent in."""
    envelope = parse_record(record.value, record.headers)
    assert isinstance(envelope, Envelope)
    structured: dict[str, Any] = json.loads(to_structured(envelope)[0])
    return structured
