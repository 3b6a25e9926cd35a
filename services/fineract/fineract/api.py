"""The adapter's HTTP API (thin): what each mapped Fineract instance's messages became."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, cast

from fastapi import APIRouter, Depends, Request

from fineract import views
from fineract.domain.mapping import FineractMapping
from fineract.schemas import InstanceOut
from fineract.storage import Store
from shared.dependencies import reading, service_of

if TYPE_CHECKING:
    from fineract.app import FineractService

router = APIRouter()


def mapping_of(request: Request) -> FineractMapping:
    return cast("FineractService", service_of(request)).mapping


StoreDep = Annotated[Store, Depends(reading)]
MappingDep = Annotated[FineractMapping, Depends(mapping_of)]


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
