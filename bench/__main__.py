"""`make bench`: the platform's speed and footprint on this machine, against the targets.

Numbers, not verdicts: nothing here passes or fails. Every section runs in namespaces of its
own on the running Kafka and PostgreSQL and drops them afterwards. `--scale 0.1` runs every
section at a tenth of its size (a quick look; the JSON says which scale it ran at).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import time
from typing import Any

from bench import micro, pipeline
from bench.ceiling import read_everything
from bench.pipeline import assessment_settings, bench_namespace
from bench.report import machine, table, write
from bench.services import measure_services
from bench.workload import Workload
from shared.campaigns import load_campaigns


def say(line: str) -> None:
    print(line, flush=True)


async def main_pipeline(enterprises: int, events: int, results: dict[str, Any]) -> None:
    """Sections 1, 2 and 5: the ceiling, the pipeline and the rebuild over the same records."""
    async with bench_namespace() as namespace:
        settings = assessment_settings(namespace)
        workload = Workload(settings, load_campaigns().sole(), enterprises)
        seeded = await pipeline.seed(settings, workload, say)
        say(f"listed {enterprises:,} enterprises in {seeded.seconds:.1f} s")
        run = await pipeline.bank_run(settings, workload, workload.loans(events), say)
        results["pipeline_events_per_s"] = run.per_second
        say(f"pipeline: {run.records:,} bank events at {run.per_second:,.0f}/s")
        for parse, key in ((False, "raw_records_per_s"), (True, "raw_parsed_records_per_s")):
            read, seconds = await read_everything(
                settings.kafka_bootstrap, workload.bank_topics, parse
            )
            results[key] = read / seconds
        results["pipeline_ratio"] = run.per_second / results["raw_records_per_s"]
        say(
            f"raw getmany {results['raw_records_per_s']:,.0f}/s, "
            f"parsed {results['raw_parsed_records_per_s']:,.0f}/s"
        )
        seconds, equal, records = await pipeline.timed_rebuild(settings)
        results["rebuild_s"], results["rebuild_equal"], results["rebuild_records"] = (
            seconds,
            equal,
            records,
        )
        # The key: a rebuild of 1,000,000 events, scaled from the records replayed.
        results["rebuild_1m_s"] = seconds * 1_000_000 / max(records, 1)
        say(f"rebuild: {records:,} records in {seconds:.1f} s (equal to live: {equal})")


async def growth(sizes: list[int], events: int, results: dict[str, Any]) -> None:
    """Section 3: the same number of bank events over more and more listed enterprises."""
    results["growth"] = {}
    for enterprises in sizes:
        async with bench_namespace() as namespace:
            settings = assessment_settings(namespace)
            workload = Workload(settings, load_campaigns().sole(), enterprises)
            seeded = await pipeline.seed(settings, workload, say)
            run = await pipeline.bank_run(settings, workload, workload.loans(events), say)
            results["growth"][str(enterprises)] = run.per_second
            say(
                f"growth: {enterprises:,} enterprises (listed in {seeded.seconds:.0f} s): "
                f"{run.per_second:,.0f} bank events/s"
            )


async def run(scale: float) -> dict[str, Any]:
    def scaled(n: int) -> int:
        return max(1000, int(n * scale))

    results: dict[str, Any] = {"machine": machine(), "scale": scale}
    started = time.perf_counter()
    results["counting_rules_enterprises_per_s"] = micro.counting_rules(scaled(50_000))
    written, relayed = await micro.outbox(scaled(20_000))
    results["outbox_rows_written_per_s"], results["outbox_relayed_per_s"] = written, relayed
    await main_pipeline(scaled(100_000), scaled(1_000_000), results)
    await growth([scaled(10_000), scaled(100_000), scaled(1_000_000)], scaled(100_000), results)
    measured = await pipeline.latency(scaled(20_000), 500, 20 * min(scale, 1.0) or 2, say)
    results["latency_samples"] = measured.samples
    results["latency_p50_ms"], results["latency_p99_ms"] = measured.p50_ms, measured.p99_ms
    say(f"latency at 500/s: p50 {measured.p50_ms:.0f} ms, p99 {measured.p99_ms:.0f} ms")
    results |= await measure_services(scaled(100_000), scaled(10_000), progress=say)
    results["bench_s"] = time.perf_counter() - started
    return results


def summary(results: dict[str, Any]) -> str:
    growth = results["growth"]
    flat = max(growth.values()) / min(growth.values()) if growth else math.nan
    rows = [
        ("", "measured", "target"),
        ("raw getmany, records/s", f"{results['raw_records_per_s']:,.0f}", ""),
        ("raw getmany + json.loads, records/s", f"{results['raw_parsed_records_per_s']:,.0f}", ""),
        ("pipeline, bank events/s", f"{results['pipeline_events_per_s']:,.0f}", ""),
        ("pipeline_ratio", f"{results['pipeline_ratio']:.3f}", ">= 0.1"),
        *(
            (f"growth: events/s at {int(n):,} enterprises", f"{v:,.0f}", "")
            for n, v in growth.items()
        ),
        ("growth: fastest / slowest", f"{flat:.2f}", "<= 1.5"),
        ("latency p50 at 500/s, ms", f"{results['latency_p50_ms']:.0f}", ""),
        ("latency p99 at 500/s, ms", f"{results['latency_p99_ms']:.0f}", "<= 200"),
        ("rebuild_1m_s", f"{results['rebuild_1m_s']:.1f}", "<= 60"),
        ("rebuild equal to live", str(results["rebuild_equal"]), "True"),
        *(
            (f"peak RSS {k.removeprefix('rss_mb_')}, MB", f"{v:.0f}", "<= 300")
            for k, v in results.items()
            if k.startswith("rss_mb_")
        ),
        *(
            (k, f"{v:.1f}", "")
            for k, v in results.items()
            if k.endswith("_s") and k.startswith(("roster_", "ledger_"))
        ),
        (
            "counting rules (pure), enterprises/s",
            f"{results['counting_rules_enterprises_per_s']:,.0f}",
            "",
        ),
        ("outbox relay, records/s", f"{results['outbox_relayed_per_s']:,.0f}", ""),
        ("whole bench, s", f"{results['bench_s']:.0f}", "< 1200"),
    ]
    return table(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="size of every section")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("faststream").setLevel(logging.ERROR)
    results = asyncio.run(run(args.scale))
    print(summary(results))
    data, chart = write(results)
    print(f"results: {data}\nchart:   {chart}")


if __name__ == "__main__":
    main()
