"""The adapter's HTTP API (thin): what each mapped Fineract instance's messages became."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from fineract import views
from fineract.domain.mapping import FineractMapping
from fineract.schemas import InstanceOut
from fineract.storage import SqlStore, Store
from shared.service import Runtime

router = APIRouter()


async def get_store(request: Request) -> AsyncIterator[Store]:
    runtime: Runtime = request.app.state.runtime
    async with runtime.engine.connect() as connection:
        yield SqlStore(connection)


def get_mapping(request: Request) -> FineractMapping:
    mapping: FineractMapping = request.app.state.mapping
    return mapping


StoreDep = Annotated[Store, Depends(get_store)]
MappingDep = Annotated[FineractMapping, Depends(get_mapping)]


@router.get(
    "/instances",
    tags=["fineract"],
    summary="Each Fineract instance, mapped or seen: messages, last message id, events "
    "published and skipped",
)
async def instances(store: StoreDep, mapping: MappingDep) -> list[InstanceOut]:
    return await views.instances(store, mapping)


@router.get("/mapping", tags=["fineract"], summary="The mapping in force (the operator's file)")
async def mapping(in_force: MappingDep) -> dict[str, Any]:
    shown: dict[str, Any] = in_force.model_dump(mode="json")
    return shown
