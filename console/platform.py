"""`firstloan up|down|status`: the platform on this machine."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx

from shared.lag import KafkaLag

ROOT = Path(__file__).resolve().parent.parent
SERVICES = {
    "roster": 8101,
    "matchmaking": 8102,
    "ledger": 8103,
    "assessment": 8104,
    "fineract": 8105,
}


def stack(command: str) -> int:
    """Run deploy/stack.sh COMMAND, streaming its output; return its exit code."""
    return subprocess.call([str(ROOT / "deploy" / "stack.sh"), command])


@dataclass(frozen=True)
class ServiceHealth:
    name: str
    port: int
    healthy: bool
    detail: str


def service_health(host: str = "127.0.0.1") -> list[ServiceHealth]:
    found = []
    for name, port in SERVICES.items():
        try:
            response = httpx.get(f"http://{host}:{port}/health", timeout=3)
            body = response.json()
            detail = f"database {body.get('database')}, kafka {body.get('kafka')}"
            found.append(ServiceHealth(name, port, response.status_code == 200, detail))
        except (httpx.HTTPError, ValueError) as error:
            found.append(
                ServiceHealth(name, port, False, f"not answering ({type(error).__name__})")
            )
    return found


def process_running(name: str) -> bool:
    """Is the process the deploy scripts started as `name` alive? `kafka` is the single
    node or, with `make up CLUSTER=3`, any node of the cluster."""
    if name == "kafka":
        nodes = sorted((ROOT / ".state" / "run").glob("kafka-*.pid"))
        if any(_alive(node) for node in nodes):
            return True
    return _alive(ROOT / ".state" / "run" / f"{name}.pid")


def _alive(pid_file: Path) -> bool:
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return False
    return Path(f"/proc/{pid}").exists()


@dataclass(frozen=True)
class GroupLag:
    group: str
    lag: int
    partitions: int


def is_platform_group(group: str) -> bool:
    """The services' own groups are `<service>.<subscription>`; test namespaces' are not."""
    return group.split(".", 1)[0] in SERVICES


class LagProbe(KafkaLag):
    """Lag of every platform group (or every group), for `status` and the demo."""

    def __init__(self, bootstrap: str, every_group: bool = False) -> None:
        super().__init__(bootstrap)
        self.every_group = every_group

    async def lag(self) -> list[GroupLag]:
        groups = [g for g in await self.groups() if self.every_group or is_platform_group(g)]
        return [
            GroupLag(group, await self.behind(group), len(await self.committed(group)))
            for group in groups
        ]


async def consumer_lag(bootstrap: str, every_group: bool = False) -> list[GroupLag]:
    """Records not yet committed by each consumer group, over the partitions it committed."""
    async with LagProbe(bootstrap, every_group) as probe:
        return await probe.lag()
