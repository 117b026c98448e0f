"""REST endpoints of opportunities and the bulk load of transactions."""

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from kam.core.api.helpers import changes, ref, responses
from kam.core.api.pagination import PageParams, keyset_page
from kam.core.api.schemas import (
    OMITTED,
    CurrencyCode,
    DeletedOut,
    ExternalId,
    FilterSchema,
    Id,
    InSchema,
    Money16,
    NonEmptyText64,
    NonEmptyText200,
    NonNegativeMoney16,
    Quantity14,
    SaneDate,
)
from kam.core.http import AuthedHttpRequest
from kam.core.permissions import get_for_user, require, visible
from kam.customers.models import Unit

from . import selectors, services
from .models import (
    CostCategory,
    CostToServe,
    CurrencyRate,
    ListPrice,
    Opportunity,
    OpportunityStage,
    Product,
    ProductLine,
    SupplierPositionLevel,
    Transaction,
)

router = Router(tags=["sales"])

# The stored values of each choice, a Literal for the OpenAPI enum; mypy cannot read a Literal
# built at runtime, so to it a choice is text.
if TYPE_CHECKING:
    StageLit = str
else:
    StageLit = Literal[tuple(OpportunityStage.values)]
VIEW, CHANGE = "kam.view_account", "kam.change_account"
MAX_BULK_ROWS = 10_000


# --- opportunities -------------------------------------------------------------------------


class OpportunityOut(Schema):
    id: int
    unit_id: int
    product_line_id: int | None
    product_id: int | None
    name: str
    engaged_on: dt.date | None
    stage: str
    amount: Decimal
    probability: int
    expected_close: dt.date | None
    owner_id: int | None
    external_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class OpportunityPage(Schema):
    items: list[OpportunityOut]
    next: str | None


class OpportunityFields(InSchema):
    product_line_id: Id | None = None
    product_id: Id | None = Field(None, description="Optional; sets the product line too.")
    engaged_on: SaneDate | None = Field(None, description="When it was opened (CRM created)")
    stage: StageLit = "qualify"
    amount: NonNegativeMoney16 = Decimal("0")
    probability: int = Field(10, ge=0, le=100)
    expected_close: SaneDate | None = None
    owner_id: Id | None = None
    external_id: ExternalId | None = None


class OpportunityIn(OpportunityFields):
    unit_id: Id
    name: NonEmptyText200


class OpportunityPatch(OpportunityFields):
    unit_id: Id = OMITTED
    name: NonEmptyText200 = OMITTED
    stage: StageLit = OMITTED
    amount: NonNegativeMoney16 = OMITTED
    probability: int = Field(OMITTED, ge=0, le=100)


class OpportunityFilters(FilterSchema):
    unit: Id | None = Field(None, description="Opportunities of this unit or below it.")
    stage: StageLit | None = None


def _refs(data: dict) -> dict:
    """Turn the ``*_id`` references of a body into objects (a 400 for unknown ones)."""
    if "unit_id" in data:
        data["unit"] = ref(Unit.objects.all(), "unit_id", pk=data.pop("unit_id"))
    if "product_line_id" in data:
        pk = data.pop("product_line_id")
        data["product_line"] = (
            ref(ProductLine.objects.all(), "product_line_id", pk=pk) if pk else None
        )
    if "product_id" in data:
        pk = data.pop("product_id")
        data["product"] = ref(Product.objects.all(), "product_id", pk=pk) if pk else None
    if "owner_id" in data:
        pk = data.pop("owner_id")
        data["owner"] = ref(get_user_model().objects.all(), "owner_id", pk=pk) if pk else None
    return data


@router.get("/opportunities", response=responses({200: OpportunityPage}))
def opportunity_list(
    request: AuthedHttpRequest, filters: Query[OpportunityFilters], page: Query[PageParams]
):
    require(request.auth, VIEW)
    return keyset_page(
        visible(request.auth, selectors.opportunity_list(**filters.model_dump())), page
    )


@router.get("/opportunities/{opportunity_id}", response=responses({200: OpportunityOut}))
def opportunity_read(request: AuthedHttpRequest, opportunity_id: Id):
    return get_for_user(Opportunity.objects.all(), request.auth, VIEW, pk=opportunity_id)


@router.post("/opportunities", response=responses({201: OpportunityOut}))
def opportunity_create(request: AuthedHttpRequest, payload: OpportunityIn):
    data = _refs(payload.model_dump())
    require(request.auth, CHANGE, data["unit"])
    return Status(201, services.opportunity_create(**data))


@router.patch("/opportunities/{opportunity_id}", response=responses({200: OpportunityOut}))
def opportunity_update(request: AuthedHttpRequest, opportunity_id: Id, payload: OpportunityPatch):
    opp = get_for_user(
        Opportunity.objects.select_related("unit"), request.auth, VIEW, pk=opportunity_id
    )
    require(request.auth, CHANGE, opp.unit)
    data = _refs(changes(payload))
    if "unit" in data:
        require(request.auth, CHANGE, data["unit"])
    return services.opportunity_update(opportunity=opp, **data)


@router.delete("/opportunities/{opportunity_id}", response=responses({200: DeletedOut}))
def opportunity_delete(request: AuthedHttpRequest, opportunity_id: Id):
    opp = get_for_user(
        Opportunity.objects.select_related("unit"), request.auth, VIEW, pk=opportunity_id
    )
    require(request.auth, CHANGE, opp.unit)
    services.opportunity_delete(opportunity=opp)
    return {"deleted": True}


# --- supplier positions ----------------------------------------------------------------------

if TYPE_CHECKING:
    PositionLit = str
else:
    PositionLit = Literal[tuple(SupplierPositionLevel.values)]


class SupplierPositionOut(Schema):
    id: int
    account_id: int
    position: str
    since: dt.date
    note: str
    recorded_by: str | None
    recorded_at: dt.datetime

    @staticmethod
    def resolve_recorded_by(obj) -> str | None:
        return obj.recorded_by.username if obj.recorded_by else None


class SupplierPositionPage(Schema):
    items: list[SupplierPositionOut]
    next: str | None


class SupplierPositionIn(InSchema):
    position: PositionLit
    since: SaneDate
    note: Annotated[str, Field(max_length=300)] = ""


@router.get(
    "/accounts/{account_id}/supplier-positions",
    response=responses({200: SupplierPositionPage}),
    summary="An account's supplier positions in the order recorded; the latest `since` is current",
)
def supplier_position_list(request: AuthedHttpRequest, account_id: Id, page: Query[PageParams]):
    account = get_for_user(Unit.objects.accounts(), request.auth, VIEW, pk=account_id)
    return keyset_page(selectors.supplier_positions(account=account), page)


@router.post(
    "/accounts/{account_id}/supplier-positions",
    response=responses({201: SupplierPositionOut}),
    summary="Record our supplier position at an account from a date on (the history is kept)",
)
def supplier_position_create(
    request: AuthedHttpRequest, account_id: Id, payload: SupplierPositionIn
):
    account = get_for_user(Unit.objects.accounts(), request.auth, VIEW, pk=account_id)
    require(request.auth, CHANGE, account)
    position = services.supplier_position_set(
        account=account, user=request.auth, **payload.model_dump()
    )
    return Status(201, position)


# --- transactions --------------------------------------------------------------------------


class TransactionRow(InSchema):
    date: SaneDate
    unit_id: Id | None = None
    unit_external_id: ExternalId | None = None
    product_id: Id | None = None
    product_sku: NonEmptyText64 | None = None
    quantity: Quantity14 = Decimal("0")
    net_amount: Money16
    # None: the reporting currency (KAM_CURRENCY)
    currency: CurrencyCode | None = None
    cost: Money16 | None = None
    external_id: ExternalId | None = None


class TransactionsBulkIn(InSchema):
    rows: list[TransactionRow] = Field(..., min_length=1, max_length=MAX_BULK_ROWS)


class TransactionsBulkOut(Schema):
    created: int


@router.post(
    "/transactions/bulk",
    response=responses({201: TransactionsBulkOut}),
    summary="Load up to 10 000 transactions: all are written, or none",
    description=(
        "Each row names its unit (unit_id or unit_external_id) and product (product_id or "
        "product_sku). Any bad row rejects the whole batch; errors name the field as "
        "rows.<index>.<field>. Monthly roll-ups are updated in the same transaction."
    ),
)
def transactions_bulk(request: AuthedHttpRequest, payload: TransactionsBulkIn):
    require(request.auth, VIEW)
    rows = [row.model_dump() for row in payload.rows]
    return Status(201, {"created": services.transactions_bulk_create(rows=rows, user=request.auth)})


class TransactionOut(Schema):
    id: int
    date: dt.date
    unit_id: int
    product_id: int
    product_line_id: int
    quantity: Decimal
    net_amount: Decimal
    currency: str
    cost: Decimal | None
    external_id: str | None


class TransactionPatch(InSchema):
    date: SaneDate = OMITTED
    unit_id: Id = OMITTED
    product_id: Id = OMITTED
    quantity: Quantity14 = OMITTED
    net_amount: Money16 = OMITTED
    currency: CurrencyCode = OMITTED
    cost: Money16 | None = None


class TransactionPage(Schema):
    items: list[TransactionOut]
    next: str | None


class TransactionFilters(FilterSchema):
    subtree: Id | None = Field(None, description="Lines of this unit or of any unit below it.")
    unit: Id | None = Field(None, description="Lines booked on this unit itself.")
    product_line: Id | None = None
    date_from: SaneDate | None = Field(None, description="Inclusive.")
    date_to: SaneDate | None = Field(None, description="Inclusive.")


@router.get(
    "/transactions",
    response=responses({200: TransactionPage}),
    summary="List transactions, oldest id first, a page at a time",
)
def transaction_list(
    request: AuthedHttpRequest, filters: Query[TransactionFilters], page: Query[PageParams]
):
    require(request.auth, VIEW)
    data = filters.model_dump(exclude_none=True)
    subtree = data.pop("subtree", None)
    unit = ref(Unit.objects.all(), "subtree", pk=subtree) if subtree else None
    return keyset_page(
        visible(request.auth, selectors.transaction_list(unit=unit, filters=data)), page
    )


def _transaction(request: AuthedHttpRequest, transaction_id: int) -> Transaction:
    """The transaction (404), which the caller may see (403) and whose account they may change."""
    tx = get_for_user(
        Transaction.objects.select_related("unit"), request.auth, VIEW, pk=transaction_id
    )
    require(request.auth, CHANGE, tx.unit)
    return tx


@router.get("/transactions/{transaction_id}", response=responses({200: TransactionOut}))
def transaction_read(request: AuthedHttpRequest, transaction_id: Id):
    return get_for_user(Transaction.objects.all(), request.auth, VIEW, pk=transaction_id)


@router.patch(
    "/transactions/{transaction_id}",
    response=responses({200: TransactionOut}),
    summary="Correct a transaction; the monthly roll-ups follow",
    description="Needs the right to change the transaction's account (and the new unit's).",
)
def transaction_update(request: AuthedHttpRequest, transaction_id: Id, payload: TransactionPatch):
    tx = _transaction(request, transaction_id)
    data = changes(payload)
    if "unit_id" in data:
        unit = ref(Unit.objects.all(), "unit_id", pk=data["unit_id"])
        require(request.auth, CHANGE, unit)
    if "product_id" in data:
        ref(Product.objects.all(), "product_id", pk=data["product_id"])
    return services.transaction_update(tx=tx, **data)


@router.delete(
    "/transactions/{transaction_id}",
    response=responses({200: DeletedOut}),
    summary="Delete a transaction; the monthly roll-ups follow",
)
def transaction_delete(request: AuthedHttpRequest, transaction_id: Id):
    tx = _transaction(request, transaction_id)
    services.transactions_delete(ids=[tx.pk])
    return {"deleted": True}


# --- currency rates (decision 99) ------------------------------------------------------------

VIEW_RATES, CHANGE_RATES = "kam.view_rates", "kam.change_rates"
Rate = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=8)]


class CurrencyRateOut(Schema):
    id: int
    currency: str
    valid_from: dt.date
    valid_to: dt.date | None
    rate: Decimal


class CurrencyRatePage(Schema):
    items: list[CurrencyRateOut]
    next: str | None


class CurrencyRateIn(InSchema):
    currency: CurrencyCode = Field(description="ISO 4217, e.g. USD")
    valid_from: SaneDate
    valid_to: SaneDate | None = Field(None, description="Last day valid; empty: open")
    rate: Rate = Field(description="One unit of the currency in the reporting currency")


class CurrencyRatePatch(CurrencyRateIn):
    currency: CurrencyCode = OMITTED
    valid_from: SaneDate = OMITTED
    rate: Rate = OMITTED


class CurrencyRateFilters(FilterSchema):
    currency: CurrencyCode | None = None


@router.get("/currency-rates", response=responses({200: CurrencyRatePage}))
def currency_rate_list(
    request: AuthedHttpRequest, filters: Query[CurrencyRateFilters], page: Query[PageParams]
):
    require(request.auth, VIEW_RATES)
    return keyset_page(selectors.currency_rates(**filters.model_dump()), page)


@router.get("/currency-rates/{rate_id}", response=responses({200: CurrencyRateOut}))
def currency_rate_read(request: AuthedHttpRequest, rate_id: Id):
    require(request.auth, VIEW_RATES)
    return get_object_or_404(CurrencyRate, pk=rate_id)


@router.post("/currency-rates", response=responses({201: CurrencyRateOut}))
def currency_rate_create(request: AuthedHttpRequest, payload: CurrencyRateIn):
    require(request.auth, CHANGE_RATES)
    return Status(201, services.currency_rate_save(**payload.model_dump()))


@router.patch("/currency-rates/{rate_id}", response=responses({200: CurrencyRateOut}))
def currency_rate_update(request: AuthedHttpRequest, rate_id: Id, payload: CurrencyRatePatch):
    require(request.auth, CHANGE_RATES)
    current = get_object_or_404(CurrencyRate, pk=rate_id)
    data = {
        "currency": current.currency,
        "valid_from": current.valid_from,
        "valid_to": current.valid_to,
        "rate": current.rate,
        **changes(payload),
    }
    return services.currency_rate_save(currency_rate=current, **data)


@router.delete("/currency-rates/{rate_id}", response=responses({200: DeletedOut}))
def currency_rate_delete(request: AuthedHttpRequest, rate_id: Id):
    require(request.auth, CHANGE_RATES)
    services.currency_rate_delete(currency_rate=get_object_or_404(CurrencyRate, pk=rate_id))
    return {"deleted": True}


# --- costs to serve (issue 17) ---------------------------------------------------------------

if TYPE_CHECKING:
    CategoryLit = str
else:
    CategoryLit = Literal[tuple(CostCategory.values)]
CostAmount = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]


class CostToServeOut(Schema):
    id: int
    unit_id: int
    month: dt.date
    category: str
    amount: Decimal
    note: str


class CostToServePage(Schema):
    items: list[CostToServeOut]
    next: str | None


class CostToServeIn(InSchema):
    unit_id: Id
    month: SaneDate = Field(description="Any day of the month; stored as its first day.")
    category: CategoryLit
    amount: CostAmount = Field(description="In the reporting currency.")
    note: Annotated[str, Field(max_length=300)] = ""


class CostToServePatch(CostToServeIn):
    unit_id: Id = OMITTED
    month: SaneDate = OMITTED
    category: CategoryLit = OMITTED
    amount: CostAmount = OMITTED
    note: Annotated[str, Field(max_length=300)] = OMITTED


class CostToServeFilters(FilterSchema):
    account: Id | None = Field(None, description="Costs of this unit or of any unit below it.")
    unit: Id | None = Field(None, description="Costs booked on this unit itself.")
    month_from: SaneDate | None = Field(None, description="Inclusive.")
    month_to: SaneDate | None = Field(None, description="Inclusive.")


@router.get(
    "/costs-to-serve",
    response=responses({200: CostToServePage}),
    summary="Costs to serve per unit, month and category, oldest id first, a page at a time",
)
def cost_to_serve_list(
    request: AuthedHttpRequest, filters: Query[CostToServeFilters], page: Query[PageParams]
):
    require(request.auth, VIEW)
    data = filters.model_dump(exclude_none=True)
    account = data.pop("account", None)
    if account:
        data["account"] = get_for_user(Unit.objects.all(), request.auth, VIEW, pk=account)
    return keyset_page(visible(request.auth, selectors.costs_to_serve(**data)), page)


def _cost(request: AuthedHttpRequest, cost_id: int) -> CostToServe:
    """The cost (404), which the caller may see (403) and whose account they may change."""
    cost = get_for_user(CostToServe.objects.select_related("unit"), request.auth, VIEW, pk=cost_id)
    require(request.auth, CHANGE, cost.unit)
    return cost


@router.get("/costs-to-serve/{cost_id}", response=responses({200: CostToServeOut}))
def cost_to_serve_read(request: AuthedHttpRequest, cost_id: Id):
    return get_for_user(CostToServe.objects.all(), request.auth, VIEW, pk=cost_id)


@router.post(
    "/costs-to-serve",
    response=responses({201: CostToServeOut}),
    summary="Record what serving a unit cost in a month, by category (one row each)",
)
def cost_to_serve_create(request: AuthedHttpRequest, payload: CostToServeIn):
    unit = ref(Unit.objects.all(), "unit_id", pk=payload.unit_id)
    require(request.auth, CHANGE, unit)
    return Status(201, services.cost_to_serve_save(**payload.model_dump()))


@router.patch("/costs-to-serve/{cost_id}", response=responses({200: CostToServeOut}))
def cost_to_serve_update(request: AuthedHttpRequest, cost_id: Id, payload: CostToServePatch):
    cost = _cost(request, cost_id)
    data = {
        "unit_id": cost.unit_id,
        "month": cost.month,
        "category": cost.category,
        "amount": cost.amount,
        "note": cost.note,
        **changes(payload),
    }
    if data["unit_id"] != cost.unit_id:
        require(request.auth, CHANGE, ref(Unit.objects.all(), "unit_id", pk=data["unit_id"]))
    return services.cost_to_serve_save(cost=cost, **data)


@router.delete("/costs-to-serve/{cost_id}", response=responses({200: DeletedOut}))
def cost_to_serve_delete(request: AuthedHttpRequest, cost_id: Id):
    services.cost_to_serve_delete(cost=_cost(request, cost_id))
    return {"deleted": True}


# --- list prices (issue 17, decision 105) ----------------------------------------------------

VIEW_PRICES, CHANGE_PRICES = "kam.view_prices", "kam.change_prices"
Price = Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=4)]


class ListPriceOut(Schema):
    id: int
    product_id: int
    valid_from: dt.date
    price: Decimal
    currency: str


class ListPricePage(Schema):
    items: list[ListPriceOut]
    next: str | None


class ListPriceIn(InSchema):
    product_id: Id
    valid_from: SaneDate = Field(description="Valid from this day until the next price's start")
    price: Price = Field(description="List price per unit")
    currency: CurrencyCode | None = Field(None, description="Empty: the reporting currency")


class ListPricePatch(ListPriceIn):
    product_id: Id = OMITTED
    valid_from: SaneDate = OMITTED
    price: Price = OMITTED
    currency: CurrencyCode = OMITTED


class ListPriceFilters(FilterSchema):
    product: NonEmptyText64 | None = Field(None, description="A product's SKU.")


@router.get("/list-prices", response=responses({200: ListPricePage}))
def list_price_list(
    request: AuthedHttpRequest, filters: Query[ListPriceFilters], page: Query[PageParams]
):
    require(request.auth, VIEW_PRICES)
    return keyset_page(selectors.list_prices(**filters.model_dump()), page)


@router.get("/list-prices/{price_id}", response=responses({200: ListPriceOut}))
def list_price_read(request: AuthedHttpRequest, price_id: Id):
    require(request.auth, VIEW_PRICES)
    return get_object_or_404(ListPrice, pk=price_id)


@router.post("/list-prices", response=responses({201: ListPriceOut}))
def list_price_create(request: AuthedHttpRequest, payload: ListPriceIn):
    require(request.auth, CHANGE_PRICES)
    ref(Product.objects.all(), "product_id", pk=payload.product_id)
    return Status(201, services.list_price_save(**payload.model_dump()))


@router.patch("/list-prices/{price_id}", response=responses({200: ListPriceOut}))
def list_price_update(request: AuthedHttpRequest, price_id: Id, payload: ListPricePatch):
    require(request.auth, CHANGE_PRICES)
    current = get_object_or_404(ListPrice, pk=price_id)
    data = {
        "product_id": current.product_id,
        "valid_from": current.valid_from,
        "price": current.price,
        "currency": current.currency,
        **changes(payload),
    }
    if data["product_id"] != current.product_id:
        ref(Product.objects.all(), "product_id", pk=data["product_id"])
    return services.list_price_save(list_price=current, **data)


@router.delete("/list-prices/{price_id}", response=responses({200: DeletedOut}))
def list_price_delete(request: AuthedHttpRequest, price_id: Id):
    require(request.auth, CHANGE_PRICES)
    services.list_price_delete(list_price=get_object_or_404(ListPrice, pk=price_id))
    return {"deleted": True}
