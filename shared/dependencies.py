"""What every service's routes depend on, one way in all five: the runtime, the handlers, a
store over a connection of its own for reads, the reference data, and now by the platform's
clock. Each comes from the `Service` its composition root built (`shared.service`).

A service's `api.py` types the two parts that are its own:

    HandlersDep = Annotated[Handlers, Depends(handlers_of)]
    StoreDep = Annotated[Store, Depends(reading)]
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, Request

from shared.reference import ReferenceData
from shared.service import Runtime, Service


def service_of(request: Request) -> Service[Any]:
    found: Service[Any] = request.app.state.service
    return found


def runtime_of(request: Request) -> Runtime:
    return service_of(request).runtime


def handlers_of(request: Request) -> Any:
    return service_of(request).handlers


def reference_of(request: Request) -> ReferenceData:
    return runtime_of(request).reference()


def now_of(request: Request) -> datetime:
    """Now by the platform's clock (a fixed or a replayed day, else the real time)."""
    return service_of(request).clock()


def today_of(request: Request) -> date:
    return now_of(request).date()


async def reading(request: Request) -> AsyncIterator[Any]:
    """The service's store over a connection of its own, for reads."""
    runtime = runtime_of(request)
    async with runtime.engine.connect() as connection:
        yield runtime.store(connection)


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
ReferenceDep = Annotated[ReferenceData, Depends(reference_of)]
NowDep = Annotated[datetime, Depends(now_of)]
TodayDep = Annotated[date, Depends(today_of)]
