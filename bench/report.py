"""The benchmark's report: a table on the terminal, and `bench/results/<timestamp>.json` with
a PNG chart beside it, each stating the machine."""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    memory_kb = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def table(rows: list[tuple[str, str, str]]) -> str:
    width = max(len(name) for name, _, _ in rows)
    return "\n".join(f"{name:<{width}}  {value:>14}  {target}" for name, value, target in rows)


def write(results: dict[str, Any]) -> tuple[Path, Path]:
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    data_path, chart_path = RESULTS / f"{stamp}.json", RESULTS / f"{stamp}.png"
    data_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    chart(results, chart_path)
    return data_path, chart_path


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (growth, ratio) = plt.subplots(1, 2, figsize=(11, 4))
    sizes = results["growth"]
    enterprises = [int(n) for n in sizes]
    growth.plot(enterprises, [sizes[n] for n in sizes], marker="o")
    growth.set_xscale("log")
    growth.set_ylim(bottom=0)
    growth.set_xlabel("listed enterprises")
    growth.set_ylabel("bank events/s")
    growth.set_title("Assessment pipeline: cost growth")
    bars = {
        "raw getmany": results["raw_records_per_s"],
        "raw + JSON": results["raw_parsed_records_per_s"],
        "pipeline": results["pipeline_events_per_s"],
    }
    ratio.bar(list(bars), list(bars.values()))
    ratio.set_yscale("log")
    ratio.set_ylabel("records/s")
    ratio.set_title(f"pipeline_ratio {results['pipeline_ratio']:.3f}")
    figure.suptitle(
        f"{results['machine']['cpus']} cores, {results['machine']['cpu_model']}", fontsize=9
    )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
