"""Assessment's today is the platform clock's, never the machine's: on a fixed day far from
the real date, the draft circular is dated that day and the live figures are as of it."""

from __future__ import annotations

import io
from datetime import date

import httpx
import pytest
from docx import Document

from assessment.app import build
from assessment.settings import AssessmentSettings
from shared.access_testing import supervisor_headers

pytestmark = pytest.mark.integration

FIXED = date(2021, 3, 15)


async def test_the_circular_and_the_live_day_follow_the_platform_clock(
    private_namespace: str,
) -> None:
    settings = AssessmentSettings(
        namespace=private_namespace, clock_date=FIXED, run_checkpoints=False, tick_seconds=0.5
    )
    app = build(settings)
    runtime = app.runtime
    async with (
        runtime.running(),
        httpx.AsyncClient(
            headers=supervisor_headers(),
            transport=httpx.ASGITransport(app=app.app),
            base_url="http://assessment",
        ) as http,
    ):
        assert (await http.get("/attainment")).json()["as_of"] == "2021-03-15"
        assert (await http.get("/dashboard/campaign")).json()["today"] == "2021-03-15"
        run = await http.post("/assessments", json={"as_of": "2020-12-31"})
        assert run.status_code == 200
        circular = await http.get("/checkpoints/2020-12-31/circular.docx")
        paragraphs = [p.text for p in Document(io.BytesIO(circular.content)).paragraphs]
        assert paragraphs[-1].endswith("2021年03月15日")
        checkpoints = (await http.get("/checkpoints")).json()
        assert checkpoints[0]["run_at"].startswith("2021-03-15")
