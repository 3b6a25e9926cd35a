"""The four services as their own processes, at province scale: peak memory with many listed
enterprises, the roster's xlsx import, and the ledger's month for one county.

Everything runs in a namespace of its own (databases and topics provisioned as the
platform's, dropped afterwards): each service is started as `make up` starts it
(`python -m <service>`, see deploy/services.sh) on a free loopback port, authenticating to
Kafka as its own principal with the platform's secrets (`FIRSTLOAN_SECRETS_DIR`), and every
request carries a signed supervisor token. The platform clock is fixed on CLOCK_DATE, so the
campaign's October is over and its ledger can be filed.

How the data gets in, each the way a user would:
- enterprises are listed through the roster's bulk nomination endpoint (JSON batches of
  the largest size it takes), the last `import_rows` of them through its xlsx upload (files of
  at most that size too);
- the county's pairings (银企对接) through matchmaking's `POST /matches` (there is no bulk
  path), spread over October: a quarter of the county's enterprises, as if each were paired
  once in the campaign's four months;
- the banks' credit decisions and loans on their own topics, each bank as its own principal.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import secrets
import signal
import socket
import sys
import tempfile
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Iterable,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from openpyxl import Workbook

from console.demo.play import BankProducers
from roster.api import MAX_BATCH
from roster.spreadsheets import COLUMNS, XLSX, header
from shared.auth import Scope, TokenIssuer
from shared.campaigns import load_campaigns
from shared.contracts import EventData
from shared.contracts.bank import CreditDeclined, CreditGranted, LoanIssued
from shared.contracts.types import Guarantee, Problem
from shared.envelope import new_event, to_structured
from shared.lag import KafkaLag
from shared.provision import SERVICES, deprovision, provision, settings_for
from shared.settings import ServiceSettings
from shared.testing import sample_uscc
from shared.topics import MATCHMAKING_EVENTS, ROSTER_EVENTS

Progress = Callable[[str], None]

CLOCK_DATE = date(2020, 11, 2)
NOMINATED_ON = date(2020, 9, 5)
LEDGER_MONTH = "2020-10"
# Each of the county's enterprises is paired once in the campaign's four months: the
# ledger's month has one in four of them (every fourth, from the second).
CAMPAIGN_MONTHS = 4
PAIRED_IN_MONTH_FROM = 1
USCC_TAG = "BN"  # keeps the benchmark's codes apart from any test's
HEALTH_SECONDS = 120.0
SETTLE_SECONDS = 900.0
STOP_SECONDS = 20.0
PARALLEL_REQUESTS = 16
# Consumer groups that read the roster's events (`<service>.<subscription>`).
ROSTER_READERS = ("matchmaking.roster", "ledger.roster", "assessment.roster")


@dataclass(frozen=True)
class Service:
    name: str
    port: int
    process: asyncio.subprocess.Process
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def peak_rss_mb(self) -> float:
        """VmHWM: the most resident memory the process ever had."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"{self.name}: no VmHWM in /proc/{self.process.pid}/status")

    def cpu_seconds(self) -> float:
        """User and system CPU time the process has used so far: a figure that other
        processes competing for the cores do not inflate, unlike the wall clock's."""
        after_name = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2]
        fields = after_name.split()  # from the state, field 3 of proc(5)
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@dataclass(frozen=True)
class Nominee:
    """One enterprise of the benchmark: the `serial`-th, in one of the campaign's counties."""

    serial: int
    county_code: str

    @property
    def uscc(self) -> str:
        return sample_uscc(self.serial, county=self.county_code, tag=USCC_TAG)

    @property
    def name(self) -> str:
        return f"忻州基准测试企业{self.serial:07d}有限公司"

    def nomination(self) -> dict[str, Any]:
        return {
            "uscc": self.uscc,
            "name": self.name,
            "county_code": self.county_code,
            "size_class": "micro",
            "industry": "零售业",
            "source": "government",
            "nominated_by": "县工信局",
            "nominated_on": NOMINATED_ON.isoformat(),
            "no_loan_in_5y_attested": True,
        }


async def measure_services(
    enterprises: int = 100_000,
    import_rows: int = 10_000,
    progress: Progress | None = None,
) -> dict[str, float]:
    """Peak RSS of each service once `enterprises` are listed and consumed everywhere
    (`rss_mb_<service>`), seconds for the xlsx import of `import_rows` of them
    (`roster_import_10k_s`, and until its events are on Kafka, `roster_import_10k_published_s`),
    the CPU seconds each service used until then (`cpu_s_<service>`),
    and seconds for building (`ledger_month_build_s`) and filing (`ledger_month_submit_s`) the
    October ledger of the county with the first share of them (`ledger_month_rows` rows: one
    per pairing in the month)."""
    say = progress or (lambda _: None)
    reference = load_campaigns().sole()
    counties = [c.code for c in reference.counties]
    banks = sorted(reference.institution_ids)
    nominees = [Nominee(n, counties[n % len(counties)]) for n in range(enterprises)]
    imported = nominees[max(len(nominees) - import_rows, 0) :]
    batched = nominees[: len(nominees) - len(imported)]
    namespace = f"b{secrets.token_hex(4)}"
    results: dict[str, float] = {}
    say(f"provisioning namespace {namespace}")
    await provision(namespace)
    try:
        with tempfile.TemporaryDirectory(prefix="firstloan-bench-") as logs:
            async with (
                running_services(namespace, Path(logs), say) as services,
                httpx.AsyncClient(headers=supervisor_token(), timeout=600) as http,
                KafkaLag(settings_for("bench", namespace).kafka_bootstrap) as lag,
            ):
                platform = Platform(namespace, services, http, lag, say)
                say(f"listing {len(batched)} enterprises in batches of {MAX_BATCH}")
                started = time.perf_counter()
                await platform.nominate_in_batches(batched)
                await platform.roster_consumed()
                say(f"listed and consumed in {time.perf_counter() - started:.1f} s")
                say(f"importing {len(imported)} enterprises from xlsx")
                results |= await platform.import_xlsx(imported)
                await platform.roster_consumed()
                for service in services.values():
                    results[f"rss_mb_{service.name}"] = round(service.peak_rss_mb(), 1)
                    results[f"cpu_s_{service.name}"] = round(service.cpu_seconds(), 1)
                say(f"peak RSS: {_rss_line(results)}")
                county = [n for n in nominees if n.county_code == counties[0]]
                paired = county[PAIRED_IN_MONTH_FROM::CAMPAIGN_MONTHS]
                say(
                    f"ledger {counties[0]} {LEDGER_MONTH}: pairing {len(paired)} "
                    f"of its {len(county)} enterprises"
                )
                await platform.pair_and_decide(paired, banks)
                results |= await platform.build_ledger(counties[0])
                say(f"ledger: {results['ledger_month_rows']:.0f} rows")
    finally:
        say(f"dropping namespace {namespace}")
        await deprovision(namespace)
    return results


def _rss_line(results: Mapping[str, float]) -> str:
    return ", ".join(f"{k[len('rss_mb_') :]} {v:.0f} MB" for k, v in results.items() if "rss" in k)


def supervisor_token() -> dict[str, str]:
    """A supervisor's Authorization header, signed with the platform's key."""
    issuer = TokenIssuer.from_settings(ServiceSettings(service="bench"))
    token = issuer.issue("bench:services", [Scope.parse("central")], timedelta(hours=2))
    return {"Authorization": f"Bearer {token}"}


# --- the services' processes ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def running_services(
    namespace: str, logs: Path, say: Progress
) -> AsyncIterator[dict[str, Service]]:
    """The four services started as deploy/services.sh starts them, healthy; stopped (TERM,
    then KILL) on the way out, whatever happened."""
    services: dict[str, Service] = {}
    try:
        for name in SERVICES:
            port = free_port()
            log = logs / f"{name}.log"
            environment = os.environ | {
                "FIRSTLOAN_NAMESPACE": namespace,
                "FIRSTLOAN_HTTP_HOST": "127.0.0.1",
                "FIRSTLOAN_HTTP_PORT": str(port),
                "FIRSTLOAN_CLOCK_DATE": CLOCK_DATE.isoformat(),
                "FIRSTLOAN_LOG_LEVEL": "WARNING",
            }
            with log.open("ab") as output:
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    name,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=output,
                    stderr=output,
                    env=environment,
                    start_new_session=True,  # its own process group, as setsid gives
                )
            services[name] = Service(name, port, process, log)
        say(f"started {', '.join(f'{s.name} :{s.port}' for s in services.values())}")
        await asyncio.gather(*(_healthy(s) for s in services.values()))
        yield services
    finally:
        await asyncio.gather(*(_stop(s) for s in services.values()))


async def _healthy(service: Service) -> None:
    deadline = time.monotonic() + HEALTH_SECONDS
    async with httpx.AsyncClient(timeout=3) as http:
        while time.monotonic() < deadline:
            if service.process.returncode is not None:
                raise RuntimeError(f"{service.name} exited:\n{service.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"{service.url}/health")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{service.name} not healthy in {HEALTH_SECONDS} s:\n{service.log_tail()}")


async def _stop(service: Service) -> None:
    process = service.process
    for sent in (signal.SIGTERM, signal.SIGKILL):
        if process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sent)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), STOP_SECONDS)


# --- the workload ---------------------------------------------------------------------------


class Platform:
    """The running services of the namespace, driven through their APIs and the banks'
    topics; waits read the services' outboxes and consumer groups."""

    def __init__(
        self,
        namespace: str,
        services: Mapping[str, Service],
        http: httpx.AsyncClient,
        lag: KafkaLag,
        say: Progress,
    ) -> None:
        self.say = say
        self.namespace = namespace
        self.services = services
        self.http = http
        self.lag = lag
        self.settings = settings_for("bench", namespace)

    def url(self, service: str, path: str) -> str:
        return f"{self.services[service].url}{path}"

    async def nominate_in_batches(self, nominees: Sequence[Nominee]) -> None:
        for start in range(0, len(nominees), MAX_BATCH):
            chunk = nominees[start : start + MAX_BATCH]
            response = await self.http.post(
                self.url("roster", "/nominations/batch"), json=[n.nomination() for n in chunk]
            )
            self.all_listed(response, len(chunk))
            self.say(f"listed {start + len(chunk)} of {len(nominees)}")

    async def import_xlsx(self, nominees: Sequence[Nominee]) -> dict[str, float]:
        """Upload the workbooks (prepared beforehand, so only the import is timed); then
        wait until the roster has published every event the import caused."""
        files = [
            workbook(nominees[start : start + MAX_BATCH])
            for start in range(0, len(nominees), MAX_BATCH)
        ]
        started = time.perf_counter()
        for content in files:
            response = await self.http.post(
                self.url("roster", "/nominations/upload"),
                files={"file": ("名单.xlsx", content, XLSX)},
            )
            self.all_listed(response, None)
        answered = time.perf_counter() - started
        await self.outbox_drained("roster")
        published = time.perf_counter() - started
        return {"roster_import_10k_s": answered, "roster_import_10k_published_s": published}

    async def pair_and_decide(self, nominees: Sequence[Nominee], banks: Sequence[str]) -> None:
        """One pairing in the month per enterprise (through matchmaking), then each bank's
        answer on its topic: credit for two in three (a loan for those), a decline else."""
        gate = asyncio.Semaphore(PARALLEL_REQUESTS)
        plan = [
            (nominee, banks[i % len(banks)], date(2020, 10, 1) + timedelta(days=i % 31))
            for i, nominee in enumerate(nominees)
        ]

        async def pair(nominee: Nominee, bank: str, on: date) -> None:
            body = {
                "uscc": nominee.uscc,
                "institution_id": bank,
                "matched_on": on.isoformat(),
                "channel": "one_on_one",
            }
            async with gate:
                response = await self.http.post(self.url("matchmaking", "/matches"), json=body)
            if response.status_code != 201:
                raise self.refused("matchmaking", response)

        started = time.perf_counter()
        await asyncio.gather(*(pair(*p) for p in plan))
        self.say(f"{len(plan)} pairings recorded in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        await self.publish_bank_events(bank_answers(plan))
        await self.outbox_drained("matchmaking")
        bank_topics = [self.settings.topic(f"bank.{b}.events") for b in banks]
        await self.consumed("ledger.matchmaking", [self.settings.topic(MATCHMAKING_EVENTS)])
        await self.consumed("ledger.bank", bank_topics)
        self.say(f"the banks' answers consumed in {time.perf_counter() - started:.1f} s")

    async def publish_bank_events(self, answers: Iterable[tuple[str, str, EventData]]) -> None:
        producers = BankProducers(self.settings)
        try:
            sends = []
            for bank, uscc, data in answers:
                event = new_event(
                    data.event_name(),
                    f"urn:firstloan:institution:{bank}",
                    data.model_dump(mode="json"),
                    subject=uscc,
                )
                value, headers = to_structured(event)
                producer = await producers.of(bank)
                topic = self.settings.topic(f"bank.{bank}.events")
                sends.append(await producer.send(topic, value, key=uscc.encode(), headers=headers))
            await asyncio.gather(*sends)
        finally:
            await producers.stop()

    async def build_ledger(self, county: str) -> dict[str, float]:
        path = f"/ledgers/{county}/{LEDGER_MONTH}"
        started = time.perf_counter()
        response = await self.http.get(self.url("ledger", path))
        built = time.perf_counter() - started
        if response.status_code != 200:
            raise self.refused("ledger", response)
        rows = len(response.json()["rows"])
        started = time.perf_counter()
        response = await self.http.post(self.url("ledger", f"{path}/submit"), json={})
        submitted = time.perf_counter() - started
        if response.status_code != 201:
            raise self.refused("ledger", response)
        return {
            "ledger_month_build_s": built,
            "ledger_month_submit_s": submitted,
            "ledger_month_rows": float(rows),
        }

    def all_listed(self, response: httpx.Response, expected: int | None) -> None:
        """A bulk nomination's report must list every row: anything else is a broken run."""
        if response.status_code != 200:
            raise self.refused("roster", response)
        report = response.json()
        listed, total = report["listed"], report["total"]
        if listed != total or (expected is not None and total != expected):
            refused = [r for r in report["rows"] if r["status"] != "listed"][:3]
            raise RuntimeError(f"nominations: {listed} of {total} listed: {refused}")

    def refused(self, service: str, response: httpx.Response) -> RuntimeError:
        return RuntimeError(
            f"{response.request.method} {response.request.url.path}: HTTP "
            f"{response.status_code} {response.text[:300]}\n"
            f"{service}'s log:\n{self.services[service].log_tail()}"
        )

    # --- waits ------------------------------------------------------------------------------

    async def roster_consumed(self) -> None:
        await self.outbox_drained("roster")
        topics = [self.settings.topic(ROSTER_EVENTS)]
        started = time.perf_counter()

        async def one(group: str) -> None:
            await self.consumed(group, topics)
            self.say(f"{group} caught up after {time.perf_counter() - started:.1f} s")

        await asyncio.gather(*(one(group) for group in ROSTER_READERS))

    async def outbox_drained(self, service: str) -> None:
        """Until the service's outbox holds no record left to publish."""
        settings = settings_for(service, self.namespace)
        connection = await asyncpg.connect(
            host=settings.pg_host,
            port=settings.pg_port,
            user=settings.pg_user,
            password=settings.pg_password,
            database=settings.database,
        )
        try:
            await self._until(
                f"{service}'s outbox published",
                lambda: _nothing_unpublished(connection),
                every=0.05,
            )
        finally:
            await connection.close()

    async def consumed(self, group: str, topics: Collection[str]) -> None:
        """Until the consumer group has committed every record now in `topics`."""
        partitions = await self.lag.partitions(topics)
        name = self.settings.topic(group)

        async def caught_up() -> bool:
            return await self.lag.behind(name, partitions) == 0

        await self._until(f"{group} caught up", caught_up, every=0.2)

    async def _until(self, what: str, check: Callable[[], Awaitable[bool]], every: float) -> None:
        deadline = time.monotonic() + SETTLE_SECONDS
        while not await check():
            for service in self.services.values():
                if service.process.returncode is not None:
                    raise RuntimeError(f"{service.name} exited:\n{service.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not within {SETTLE_SECONDS} s")
            await asyncio.sleep(every)


async def _nothing_unpublished(connection: Any) -> bool:
    left = await connection.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    return bool(left == 0)


def workbook(nominees: Sequence[Nominee]) -> bytes:
    """The nominations as a department would upload them: the template's columns, in words."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("培植名单推荐")
    keys = [key for key, _ in COLUMNS]
    sheet.append([header(key, label) for key, label in COLUMNS])
    words = {"size_class": "微型", "source": "政府部门", "no_loan_in_5y_attested": "是"}
    for nominee in nominees:
        values = nominee.nomination() | words | {"nominated_on": NOMINATED_ON}
        sheet.append([values.get(key) for key in keys])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def bank_answers(
    plan: Iterable[tuple[Nominee, str, date]],
) -> Iterable[tuple[str, str, EventData]]:
    """(bank, uscc, event) for each pairing: a credit and its loan a few days later for two
    pairings in three, a decline for the third."""
    for i, (nominee, bank, paired_on) in enumerate(plan):
        common = {"institution_id": bank, "uscc": nominee.uscc, "enterprise_name": nominee.name}
        if i % 3 == 2:
            declined = CreditDeclined(
                **common,
                declined_on=paired_on + timedelta(days=5),
                problems=[Problem.LACK_OF_COLLATERAL],
            )
            yield bank, nominee.uscc, declined
            continue
        granted_on = paired_on + timedelta(days=3)
        yield (
            bank,
            nominee.uscc,
            CreditGranted(
                **common,
                credit_id=f"C{nominee.serial}",
                amount_wan=Decimal("50"),
                granted_on=granted_on,
                guarantee=Guarantee.CREDIT,
            ),
        )
        yield (
            bank,
            nominee.uscc,
            LoanIssued(
                **common,
                loan_id=f"L{nominee.serial}",
                amount_wan=Decimal("30"),
                issued_on=granted_on + timedelta(days=2),
                first_loan_attested=True,
                guarantee=Guarantee.CREDIT,
            ),
        )
