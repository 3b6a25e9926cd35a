"""The institutions' flagship first-loan products (首贷拳头产品)."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from matchmaking.domain.plans import Product
from matchmaking.storage.tables import products
from shared.contracts.types import Guarantee


class ProductRepository(Protocol):
    async def add(self, product: Product) -> None: ...
    async def get(self, product_id: str) -> Product | None: ...
    async def find(self, institution_id: str | None = None) -> list[Product]: ...
    async def lock_institution(self, institution_id: str) -> list[Product]:
        """The institution's products, locked until the transaction ends: two products
        registered at once must not both pass the limit."""
        ...


class SqlProductRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, product: Product) -> None:
        await self._connection.execute(
            products.insert().values(
                product_id=product.product_id,
                institution_id=product.institution_id,
                name=product.name,
                min_amount_wan=product.min_amount_wan,
                max_amount_wan=product.max_amount_wan,
                min_rate_pct=product.min_rate_pct,
                max_rate_pct=product.max_rate_pct,
                guarantees=[g.value for g in product.guarantees],
                max_term_months=product.max_term_months,
                description=product.description,
            )
        )

    async def get(self, product_id: str) -> Product | None:
        query = select(products).where(products.c.product_id == product_id)
        row = (await self._connection.execute(query)).first()
        return _product(row) if row else None

    async def find(self, institution_id: str | None = None) -> list[Product]:
        return await self._select(institution_id, lock=False)

    async def lock_institution(self, institution_id: str) -> list[Product]:
        return await self._select(institution_id, lock=True)

    async def _select(self, institution_id: str | None, *, lock: bool) -> list[Product]:
        query = select(products).order_by(products.c.institution_id, products.c.created_at)
        if institution_id:
            query = query.where(products.c.institution_id == institution_id)
        if lock:
            query = query.with_for_update()
        return [_product(row) for row in await self._connection.execute(query)]


def _product(row: Any) -> Product:
    return Product(
        product_id=row.product_id,
        institution_id=row.institution_id,
        name=row.name,
        min_amount_wan=row.min_amount_wan,
        max_amount_wan=row.max_amount_wan,
        min_rate_pct=row.min_rate_pct,
        max_rate_pct=row.max_rate_pct,
        guarantees=tuple(Guarantee(g) for g in row.guarantees),
        max_term_months=row.max_term_months,
        description=row.description,
    )
