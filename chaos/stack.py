"""The processes of this machine's stack, as the deploy scripts started them, and the faults
done to them: SIGKILL of a service or a Kafka node, a restart of PostgreSQL or of a node,
SIGSTOP and SIGCONT of a service. Processes are found by the pid files in `.state/run`;
nothing else is touched."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from shared.testing import cluster_size

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("FIRSTLOAN_STATE_DIR") or ROOT / ".state")
RUN_DIR = STATE_DIR / "run"
SERVICES = ("roster", "matchmaking", "ledger", "assessment")


class StackError(RuntimeError):
    pass


def pid_of(name: str) -> int | None:
    """The pid of a process the deploy scripts started, while it lives."""
    try:
        pid = int((RUN_DIR / f"{name}.pid").read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def cluster_running() -> bool:
    size = cluster_size()
    return size >= 3 and all(pid_of(f"kafka-{n}") for n in range(1, size + 1))


async def _script(*arguments: str, environment: dict[str, str] | None = None) -> None:
    process = await asyncio.create_subprocess_exec(
        str(ROOT / "deploy" / arguments[0]),
        *arguments[1:],
        env={**os.environ, **(environment or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    if process.returncode:
        raise StackError(f"deploy/{' '.join(arguments)} failed: {output.decode()[-2000:]}")


def signal_group(name: str, sent: signal.Signals) -> int:
    """Send `sent` to the process group the deploy scripts started `name` in."""
    pid = pid_of(name)
    if pid is None:
        raise StackError(f"{name} is not running")
    try:
        os.killpg(pid, sent)
    except ProcessLookupError:
        os.kill(pid, sent)
    return pid


async def kill_service(name: str) -> None:
    """SIGKILL, as a crash: no shutdown of any kind."""
    signal_group(name, signal.SIGKILL)
    (RUN_DIR / f"{name}.pid").unlink(missing_ok=True)


async def start_services(environment: dict[str, str], attempts: int = 3) -> None:
    """Start whichever of the four services is not running; return once all are healthy.
    A service that does not come up is started again, as a supervisor would."""
    for attempt in range(1, attempts + 1):
        try:
            await _script("services.sh", "start", environment=environment)
            return
        except StackError:
            if attempt == attempts:
                raise


async def stop_services(environment: dict[str, str]) -> None:
    await _script("services.sh", "stop", environment=environment)


async def pause_service(name: str, seconds: float) -> None:
    """SIGSTOP, then SIGCONT after `seconds`: a process frozen (a long GC, a swapped-out
    machine) that its consumer group gives up on."""
    signal_group(name, signal.SIGSTOP)
    try:
        await asyncio.sleep(seconds)
    finally:
        signal_group(name, signal.SIGCONT)


def _cluster_environment() -> dict[str, str]:
    return {"CLUSTER": str(cluster_size())}


async def kill_kafka_node(node: int) -> None:
    await _script("kafka.sh", "kill-node", str(node), environment=_cluster_environment())


async def start_kafka_node(node: int) -> None:
    await _script("kafka.sh", "start-node", str(node), environment=_cluster_environment())


async def restart_kafka_node(node: int) -> None:
    """A clean restart (SIGTERM: the node hands its leadership over), then a start."""
    name = f"kafka-{node}"
    signal_group(name, signal.SIGTERM)
    for _ in range(150):  # 30 s, as deploy/kafka.sh allows it
        if pid_of(name) is None:
            break
        await asyncio.sleep(0.2)
    else:
        signal_group(name, signal.SIGKILL)
    (RUN_DIR / f"{name}.pid").unlink(missing_ok=True)
    await start_kafka_node(node)


async def restart_postgres() -> None:
    await _script("postgres.sh", "stop")
    await _script("postgres.sh", "start")
