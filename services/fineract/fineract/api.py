"""The adapter's HTTP API (thin): what each mapped Fineract instance's messages became."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from fineract import views
from fineract.storage import SqlStore, Store
from shared.service import Runtime

router = APIRouter()


async def get_store(request: Request) -> AsyncIterator[Store]:
    runtime: Runtime = request.app.state.runtime
    async with runtime.engine.connect() as connection:
        yield SqlStore(connection)


StoreDep = Annotated[Store, Depends(get_store)]


@router.get(
    "/instances",
    tags=["fineract"],
    summary="Each Fineract instance: messages, last message id, events published and skipped",
)
async def instances(store: StoreDep) -> list[dict[str, Any]]:
    return await views.instances(store)


@router.get("/mapping", tags=["fineract"], summary="The mapping in force (the operator's file)")
async def mapping(request: Request) -> dict[str, Any]:
    shown: dict[str, Any] = request.app.state.mapping.model_dump(mode="json")
    return shown
