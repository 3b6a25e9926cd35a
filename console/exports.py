"""Downloads from the running services: a ledger, the whitelist, as spreadsheets."""

from __future__ import annotations

from pathlib import Path

import httpx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportError(RuntimeError):
    pass


def download_xlsx(
    url: str, params: dict[str, str], target: Path, headers: dict[str, str] | None = None
) -> int:
    """GET `url` as xlsx into `target` (with `headers`: the caller's token); return the bytes
    written."""
    try:
        response = httpx.get(
            url, params=params, headers={"accept": XLSX, **(headers or {})}, timeout=60
        )
    except httpx.HTTPError as error:
        raise ExportError(f"{url}: {error}") from error
    if response.status_code != 200:
        raise ExportError(f"{url}: HTTP {response.status_code}: {response.text[:300]}")
    target.write_bytes(response.content)
    return len(response.content)
