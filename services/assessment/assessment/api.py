"""Assessment's HTTP API: attainment for any day, checkpoints, escalations, anomalies."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from assessment.documents import DOCX, XLSX, circular_docx, ranking_xlsx
from assessment.domain.attainment import Attainment, UnitAttainment, attainment
from assessment.domain.first_loan import evaluate
from assessment.domain.service_figures import service_figures
from assessment.evaluation import run_checkpoint, serialize, window
from assessment.storage import escalations as escalation_store
from assessment.storage.facts import load_facts
from assessment.storage.outcomes import anomaly_json, evaluated_on, load_outcomes
from shared.service import Runtime
from shared.workdays import workdays_between

router = APIRouter()


def runtime(request: Request) -> Runtime:
    found: Runtime = request.app.state.runtime
    return found


def today(request: Request) -> date:
    return request.app.state.now().date()  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(runtime)]


class Pair(BaseModel):
    cultivated: float
    first_loans: float


class UnitOut(BaseModel):
    unit_id: str
    name: str
    level: Literal["county", "institution"]
    category: str | None = None
    cultivated: int
    first_loans: int
    first_loan_rate: float | None
    targets: Pair | None
    expected: Pair | None
    attainment_ratio: float | None
    status: str


class Citywide(BaseModel):
    cultivated: int
    first_loans: int
    first_loan_rate: float | None
    first_loan_rate_floor: float
    first_loan_rate_goal: float


class AttainmentOut(BaseModel):
    as_of: date
    citywide: Citywide
    units: list[UnitOut]


def unit_out(unit: UnitAttainment) -> UnitOut:
    return UnitOut(
        unit_id=unit.unit_id,
        name=unit.name,
        level=unit.level,
        category=unit.category,
        cultivated=unit.cultivated,
        first_loans=unit.first_loans,
        first_loan_rate=unit.first_loan_rate,
        targets=None if unit.targets is None else Pair(**unit.targets.model_dump()),
        expected=None
        if unit.expected is None
        else Pair(cultivated=unit.expected.cultivated, first_loans=unit.expected.first_loans),
        attainment_ratio=unit.attainment_ratio,
        status=unit.status.value,
    )


async def attainment_on(rt: Runtime, day: date, live_day: date) -> Attainment:
    """Today's figures come from the stored outcomes; any other day is counted afresh
    from the facts, with the same rules."""
    reference = rt.reference()
    async with rt.engine.connect() as connection:
        if day == live_day and await evaluated_on(connection) == live_day:
            return attainment(await load_outcomes(connection), reference, day)
        facts = await load_facts(connection)
    return attainment([evaluate(f, window(reference), day) for f in facts.values()], reference, day)


@router.get(
    "/attainment",
    response_model=AttainmentOut,
    tags=["attainment"],
    summary="Attainment per county or institution on a day",
)
async def get_attainment(
    rt: RuntimeDep,
    live_day: Annotated[date, Depends(today)],
    level: Annotated[Literal["county", "institution"], Query()] = "county",
    as_of: Annotated[date | None, Query(description="Defaults to today.")] = None,
) -> AttainmentOut:
    day = as_of or live_day
    result = await attainment_on(rt, day, live_day)
    campaign = rt.reference().campaign
    return AttainmentOut(
        as_of=day,
        citywide=Citywide(
            cultivated=result.cultivated,
            first_loans=result.first_loans,
            first_loan_rate=result.first_loan_rate,
            first_loan_rate_floor=campaign.first_loan_rate_floor,
            first_loan_rate_goal=campaign.first_loan_rate_goal,
        ),
        units=[
            unit_out(u) for u in (result.counties if level == "county" else result.institutions)
        ],
    )


class CheckpointIn(BaseModel):
    as_of: date = Field(description="The checkpoint's day.")


@router.post(
    "/assessments",
    tags=["escalations"],
    summary="Run an assessment checkpoint now; returns the escalations raised",
)
async def post_assessment(body: CheckpointIn, rt: RuntimeDep, request: Request) -> dict[str, Any]:
    async with rt.transaction() as unit:
        await serialize(unit)
        raised = await run_checkpoint(unit, rt.reference(), body.as_of, request.app.state.now())
    return {
        "as_of": body.as_of,
        "escalations": [
            {
                "unit_id": f.unit_id,
                "level": f.level,
                "reason": f.reason.value,
                "severity": f.severity.value,
                "figures": dict(f.figures),
            }
            for f in raised
        ],
    }


@router.get("/escalations", tags=["escalations"], summary="Escalations, open or all")
async def get_escalations(
    rt: RuntimeDep, status: Literal["open", "all"] = "open"
) -> list[dict[str, Any]]:
    async with rt.engine.connect() as connection:
        return await escalation_store.list_escalations(connection, only_open=status == "open")


@router.get(
    "/anomalies",
    tags=["attainment"],
    summary="First-loan claims contradicted by an earlier loan, with the evidence",
)
async def get_anomalies(rt: RuntimeDep) -> list[dict[str, Any]]:
    async with rt.engine.connect() as connection:
        outcomes = await load_outcomes(connection)
    return [{"uscc": o.uscc, **anomaly_json(a)} for o in outcomes for a in o.anomalies]


async def ranking_of(rt: Runtime, as_of: date) -> dict[str, Any]:
    async with rt.engine.connect() as connection:
        ranking = await escalation_store.checkpoint_ranking(connection, as_of)
    if ranking is None:
        raise HTTPException(
            404, detail=[{"field": "as_of", "message": f"no checkpoint was run on {as_of}"}]
        )
    return ranking


@router.get(
    "/checkpoints/{as_of}/ranking",
    tags=["escalations"],
    summary="The checkpoint's ranking of counties and institutions (JSON, or xlsx when the "
    "Accept header asks for it)",
)
async def get_ranking(as_of: date, rt: RuntimeDep, request: Request) -> Any:
    ranking = await ranking_of(rt, as_of)
    if XLSX in request.headers.get("accept", ""):
        disposition = f'attachment; filename="ranking-{as_of}.xlsx"'
        return Response(
            ranking_xlsx(ranking), media_type=XLSX, headers={"content-disposition": disposition}
        )
    return ranking


@router.get(
    "/checkpoints/{as_of}/circular.docx",
    tags=["escalations"],
    summary="A draft circular (通报) naming each unit escalated at the checkpoint",
)
async def get_circular(as_of: date, rt: RuntimeDep) -> Response:
    await ranking_of(rt, as_of)
    async with rt.engine.connect() as connection:
        escalated = [
            e
            for e in await escalation_store.list_escalations(connection, only_open=False)
            if e["as_of"] == as_of and e["severity"] in ("talk", "circular")
        ]
    reference = rt.reference()
    names = {c.code: c.name for c in reference.counties}
    names |= {i.id: i.name for i in reference.institutions}
    entries = [{**e, "name": names.get(e["unit_id"], e["unit_id"])} for e in escalated]
    entries.sort(key=lambda e: (e["severity"] != "circular", e["unit_id"]))
    campaign = reference.campaign
    body = circular_docx(as_of, campaign.authority, campaign.name, entries)
    disposition = f'attachment; filename="circular-{as_of}.docx"'
    return Response(body, media_type=DOCX, headers={"content-disposition": disposition})


@router.get(
    "/institutions/service",
    tags=["attainment"],
    summary="Per institution: first loans within the credit process goal, rate, guarantee mix",
)
async def get_service_figures(rt: RuntimeDep) -> list[dict[str, Any]]:
    async with rt.engine.connect() as connection:
        outcomes = await load_outcomes(connection)
    goal = rt.reference().campaign.credit_process_goal_workdays
    return [
        asdict(f) | {"goal_working_days": goal}
        for f in service_figures(outcomes, workdays_between, goal)
    ]
