"""Files as real systems write them: countries, encodings, mapping, dates, amounts, big cells.

The fixtures ``units_west_cp1252.csv`` and ``units_east_cp1251.csv`` are written for these
tests (invented companies, real city names) and carry the same layout in two code pages.
"""

from __future__ import annotations

import datetime as dt
import gettext
import json
from decimal import Decimal

import pycountry
import pytest
import xlsxwriter
from django.core.management import call_command
from django.template import Context, Template
from django.utils import translation

from kam.core.countries import country_code, country_name
from kam.customers.models import Employment, Unit
from kam.dataio import formats
from kam.dataio.encodings import detect_file
from kam.dataio.services import import_file
from kam.sales.models import Opportunity, Transaction

from .conftest import FIXTURES

RU = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ru"])


# --- countries -----------------------------------------------------------------------------


def test_every_iso_country_is_known_by_codes_and_english_and_russian_names():
    for country in pycountry.countries:
        code = country.alpha_2
        spellings = [
            country.alpha_2,
            country.alpha_2.lower(),
            country.alpha_3,
            country.numeric,
            country.name,
            country.name.upper(),
            RU.gettext(country.name),
        ]
        for spelling in spellings:
            assert country_code(spelling) == code, (spelling, code)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("USA", "US"),
        ("UK", "GB"),
        ("Russia", "RU"),
        ("Россия", "RU"),
        ("Holland", "NL"),
        ("South Korea", "KR"),
        ("Czechia", "CZ"),
        ("Deutschland", "DE"),
        ("Российская Федерация", "RU"),
        ("276", "DE"),
    ],
)
def test_common_short_forms_are_known(text, code):
    assert country_code(text) == code


def test_a_country_shows_in_the_users_language():
    template = Template("{% load kam_format %}{{ code|country }}")
    assert template.render(Context({"code": "DE"})) == "Germany"
    with translation.override("ru"):
        assert template.render(Context({"code": "DE"})) == "Германия"
        assert country_name("KR") == "Южная Корея"


def _write(tmp_path, text, name="f.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.django_db
def test_an_unknown_country_is_a_row_error_with_a_suggestion(tmp_path):
    path = _write(
        tmp_path,
        "external_id,name,country\nA,Alpha,Germny\nB,Beta,ZZ\nC,Gamma,Deutschland\n",
    )
    report = import_file(entity="units", path=path)
    assert [(e.line, e.value) for e in report.errors] == [(2, "Germny"), (3, "ZZ")]
    assert report.errors[0].reason == "unknown country; did you mean Germany (DE)?"
    assert "unknown country" in report.errors[1].reason
    assert not Unit.objects.exists()


@pytest.mark.django_db
def test_the_unit_service_refuses_a_code_that_is_not_iso():
    from kam.core.errors import DomainError
    from kam.customers.services import unit_create

    with pytest.raises(DomainError):
        unit_create(parent=None, name="X", kind="company", country="ZZ")
    assert unit_create(parent=None, name="Y", kind="company", country="de").country == "DE"


# --- encodings -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_windows_1252_and_a_windows_1251_file_each_decode_correctly():
    assert detect_file(FIXTURES / "units_west_cp1252.csv") == "cp1252"
    assert detect_file(FIXTURES / "units_east_cp1251.csv") == "cp1251"
    west = import_file(entity="units", path=FIXTURES / "units_west_cp1252.csv")
    east = import_file(entity="units", path=FIXTURES / "units_east_cp1251.csv")
    assert not west.errors and not east.errors
    assert (west.encoding, east.encoding) == ("cp1252", "cp1251")
    cities = dict(Unit.objects.values_list("external_id", "city"))
    assert cities["W-KOELN"] == "Köln"
    assert cities["W-QUEBEC"] == "Québec"
    assert cities["W-MUENCHEN"] == "München"
    assert cities["E-MSK"] == "Москва"
    assert cities["E-SPB"] == "Санкт-Петербург"
    countries = dict(Unit.objects.values_list("external_id", "country"))
    assert countries["W-KOELN"] == "DE" and countries["W-SEVILLA"] == "ES"
    assert countries["E-MSK"] == "RU" and countries["E-NSK"] == "RU"
    assert countries["E-MINSK"] == "BY"


@pytest.mark.django_db
def test_the_encoding_can_be_named_on_the_command_line(tmp_path, capsys):
    call_command("import", "units", str(FIXTURES / "units_west_cp1252.csv"), encoding="cp1252")
    assert Unit.objects.get(external_id="W-ZUERICH").city == "Zürich"
    with pytest.raises(Exception, match="Unknown text encoding"):
        call_command("import", "units", str(FIXTURES / "units_west_cp1252.csv"), encoding="x")


# --- column mapping ------------------------------------------------------------------------


@pytest.fixture
def catalogue(db):
    for entity, name in [
        ("users", "users.csv"),
        ("units", "units.csv"),
        ("product-lines", "product_lines.csv"),
        ("products", "products.csv"),
    ]:
        assert not import_file(entity=entity, path=FIXTURES / name).errors


def test_value_maps_one_column_to_several_fields_and_constants(catalogue, tmp_path):
    path = _write(
        tmp_path,
        "Deal,Customer,Product,Phase\n"
        "Coatings 2025,U-ACME-DE,Anti-corrosion coating,Gewonnen\n"
        "Resins 2025,U-ACME,Epoxy resin 25 kg,in Verhandlung\n",
    )
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps(
            {
                "columns": {
                    "Deal": ["external_id", "name"],
                    "Customer": "unit",
                    "Product": "product_line",
                    "Phase": "stage",
                },
                "values": {
                    "stage": {"gewonnen": "won", "In Verhandlung": "negotiate"},
                    "product_line": {
                        "Anti-corrosion coating": "PL-COAT",
                        "Epoxy resin 25 kg": "PL-RES",
                    },
                },
                "constants": {"probability": "60", "owner": "kam.mueller"},
            }
        )
    )
    report = import_file(entity="opportunities", path=path, mapping=mapping)
    assert not report.errors, report.errors
    rows = {
        o.external_id: (o.name, o.product_line.code, o.stage, o.probability, o.owner.username)
        for o in Opportunity.objects.select_related("product_line", "owner")
    }
    assert rows == {
        "Coatings 2025": ("Coatings 2025", "PL-COAT", "won", 60, "kam.mueller"),
        "Resins 2025": ("Resins 2025", "PL-RES", "negotiate", 60, "kam.mueller"),
    }


def test_a_country_value_map_and_a_flat_mapping_with_a_list(db, tmp_path):
    path = _write(tmp_path, "Firma,Land\nAcme,Allemagne\nBeta,FR\n")
    mapping = {
        "columns": {"Firma": ["external_id", "name"], "Land": "country"},
        "values": {"country": {"allemagne": "DE"}},
    }
    assert not import_file(entity="units", path=path, mapping=mapping).errors
    assert dict(Unit.objects.values_list("name", "country")) == {"Acme": "DE", "Beta": "FR"}


def test_a_misspelt_header_is_warned_about_and_unused_columns_listed(catalogue, tmp_path):
    path = _write(
        tmp_path,
        "external_id,date,unit,product,Quantiy,net_amount,Bemerkung\n"
        "T-1,2024-01-15,U-ACME-DE,SKU-100,10,1000.00,x\n",
    )
    report = import_file(entity="transactions", path=path, dry_run=True)
    assert report.unused_columns == ["Quantiy", "Bemerkung"]
    assert any("Quantiy" in w and "quantity" in w for w in report.warnings), report.warnings
    notes = " ".join(report.notes())
    assert "Bemerkung" in notes
    # the same warning on the row path
    units = _write(tmp_path, "external_id,name,Contry\nA,Alpha,DE\n", name="u.csv")
    report = import_file(entity="units", path=units, dry_run=True)
    assert any("country" in w for w in report.warnings), report.warnings


def test_unknown_products_parents_and_users_get_the_closest_known_value(catalogue, tmp_path):
    tx = _write(
        tmp_path,
        "external_id,date,unit,product,net_amount\n"
        "T-1,2024-01-15,U-ACME-DE,SKU-1O1,10\n"
        "T-2,2024-01-15,U-ACME-FX,SKU-100,10\n",
    )
    report = import_file(entity="transactions", path=tx)
    reasons = {e.column: e.reason for e in report.errors}
    assert reasons["product"] == "unknown product; did you mean SKU-101?"
    assert reasons["unit"] == "unknown unit; did you mean U-ACME-FR?"
    units = _write(
        tmp_path,
        "external_id,name,parent,account_manager\nN-1,New,U-ACME-D,\nN-2,Other,,kam.muller\n",
        name="u.csv",
    )
    report = import_file(entity="units", path=units)
    reasons = {e.column: e.reason for e in report.errors}
    assert reasons["parent"] == "unknown parent unit: U-ACME-D; did you mean U-ACME-DE?"
    assert reasons["account_manager"] == "unknown user: kam.muller; did you mean kam.mueller?"
    products = _write(tmp_path, "sku,name,line\nS-1,Thing,PL-RESS\n", name="p.csv")
    report = import_file(entity="products", path=products)
    assert report.errors[0].reason == "unknown product line: PL-RESS; did you mean PL-RES?"


# --- dates and amounts ---------------------------------------------------------------------


def test_excel_serial_dates_in_csv_and_xlsx(catalogue, tmp_path):
    # 45306 is 2024-01-15 in Excel's 1900 date system
    path = _write(
        tmp_path,
        "external_id,date,unit,product,net_amount\nT-1,45306,U-ACME-DE,SKU-100,10\n",
    )
    assert not import_file(entity="transactions", path=path).errors
    assert Transaction.objects.get(external_id="T-1").date == dt.date(2024, 1, 15)
    xlsx = tmp_path / "t.xlsx"
    book = xlsxwriter.Workbook(str(xlsx))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["external_id", "date", "unit", "product", "net_amount"])
    sheet.write_row(1, 0, ["T-2", 45337, "U-ACME-DE", "SKU-100", 20])  # a plain number cell
    book.close()
    assert not import_file(entity="transactions", path=xlsx).errors
    assert Transaction.objects.get(external_id="T-2").date == dt.date(2024, 2, 15)
    # the row path: an employment's start as a serial day
    Unit.objects.filter(external_id="U-ACME").exists()
    from kam.customers.models import Contact

    Contact.objects.create(first_name="A", last_name="B", external_id="C")
    emp = _write(tmp_path, "external_id,contact,unit,start_date\nE1,C,U-ACME,45306\n", "e.csv")
    assert not import_file(entity="employments", path=emp).errors
    assert Employment.objects.get(external_id="E1").start_date == dt.date(2024, 1, 15)


def test_slashed_dates_follow_the_file_or_the_option(catalogue, tmp_path):
    day_first = _write(
        tmp_path,
        "external_id,date,unit,product,net_amount\n"
        "T-1,03/04/2024,U-ACME-DE,SKU-100,10\n"
        "T-2,25/04/2024,U-ACME-DE,SKU-100,10\n",
    )
    report = import_file(entity="transactions", path=day_first)
    assert not report.errors and not report.warnings
    assert Transaction.objects.get(external_id="T-1").date == dt.date(2024, 4, 3)
    unclear = _write(
        tmp_path,
        "external_id,date,unit,product,net_amount\nT-3,03/04/2024,U-ACME-DE,SKU-100,10\n",
        name="u.csv",
    )
    report = import_file(entity="transactions", path=unclear)
    assert Transaction.objects.get(external_id="T-3").date == dt.date(2024, 4, 3)
    assert "day first" in report.warnings[0]
    report = import_file(entity="transactions", path=unclear, date_order="mdy")
    assert Transaction.objects.get(external_id="T-3").date == dt.date(2024, 3, 4)
    assert not report.warnings


def test_more_decimals_are_refused_or_rounded_as_asked(catalogue, tmp_path):
    tx = _write(
        tmp_path,
        "external_id,date,unit,product,quantity,net_amount\n"
        "T-1,2024-01-15,U-ACME-DE,SKU-100,1.5,10.005\n"
        "T-2,2024-01-15,U-ACME-DE,SKU-100,1.2345,10.00\n",
    )
    report = import_file(entity="transactions", path=tx)
    assert [(e.line, e.column) for e in report.errors] == [(2, "net_amount"), (3, "quantity")]
    assert "more than 2 decimals" in report.errors[0].reason
    assert "more than 3 decimals" in report.errors[1].reason
    assert not Transaction.objects.exists()
    assert not import_file(entity="transactions", path=tx, round_amounts=True).errors
    amounts = dict(Transaction.objects.values_list("external_id", "net_amount"))
    assert amounts["T-1"] == Decimal("10.00")  # to the nearest, ties to even
    assert Transaction.objects.get(external_id="T-2").quantity == Decimal("1.234")
    # the row path follows the same rule
    opp = _write(
        tmp_path,
        "external_id,name,unit,amount\nO-1,A,U-ACME,10.015\nO-2,B,U-ACME,10.025\n",
        name="o.csv",
    )
    assert import_file(entity="opportunities", path=opp).errors[0].column == "amount"
    assert not import_file(entity="opportunities", path=opp, round_amounts=True).errors
    assert dict(Opportunity.objects.values_list("external_id", "amount")) == {
        "O-1": Decimal("10.02"),
        "O-2": Decimal("10.02"),
    }


# --- big cells -----------------------------------------------------------------------------


@pytest.fixture
def small_field_limit(monkeypatch):
    monkeypatch.setattr(formats, "max_field_chars", lambda: 2048)


def _xlsx(path, rows):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for i, row in enumerate(rows):
        sheet.write_row(i, 0, row)
    book.close()
    return path


def test_a_big_cell_in_xlsx_is_a_row_error_with_its_line(db, tmp_path, small_field_limit):
    path = _xlsx(
        tmp_path / "u.xlsx",
        [["external_id", "name", "notes"], ["U1", "Good", ""], ["U2", "x" * 3000, ""]],
    )
    report = import_file(entity="units", path=path)
    assert [(e.line, e.reason) for e in report.errors] == [(3, "a value is longer than 2 KiB")]


def test_a_big_cell_on_the_fast_path_is_a_row_error(catalogue, tmp_path, small_field_limit):
    big = "y" * 3000
    csv_path = _write(
        tmp_path,
        f"external_id,date,unit,product,net_amount,currency\n"
        f"T-1,2024-01-15,U-ACME-DE,SKU-100,10,EUR\nT-2,2024-01-15,U-ACME-DE,SKU-100,10,{big}\n",
    )
    report = import_file(entity="transactions", path=csv_path)
    assert (3, "a value is longer than 2 KiB") in [(e.line, e.reason) for e in report.errors]
    xlsx = _xlsx(
        tmp_path / "t.xlsx",
        [
            ["external_id", "date", "unit", "product", "net_amount"],
            ["T-1", "2024-01-15", "U-ACME-DE", "SKU-100", 10],
            [big, "2024-01-15", "U-ACME-DE", "SKU-100", 10],
        ],
    )
    report = import_file(entity="transactions", path=xlsx)
    assert (3, "a value is longer than 2 KiB") in [(e.line, e.reason) for e in report.errors]


# --- currency ------------------------------------------------------------------------------


def test_lines_in_other_currencies_are_converted_with_the_rates_table(catalogue, tmp_path):
    from kam.sales.models import CurrencyRate, MonthlyRollup

    rates = _write(
        tmp_path,
        "currency,valid_from,valid_to,rate\n"
        "usd,2024-01-01,2024-01-31,0.9\n"
        "USD,2024-02-01,,0.95\n"
        "RUB,2024-01-01,2024-12-31,0.01\n",
        name="rates.csv",
    )
    assert not import_file(entity="currency-rates", path=rates).errors
    assert CurrencyRate.objects.count() == 3
    tx = _write(
        tmp_path,
        "external_id,date,unit,product,net_amount,currency,cost,rate\n"
        "T-1,2024-01-15,U-ACME-DE,SKU-100,100.00,USD,50.00,\n"
        "T-2,2024-02-15,U-ACME-DE,SKU-100,100.00,USD,,\n"
        "T-3,2024-01-15,U-ACME-DE,SKU-100,100.00,EUR,,\n"
        "T-4,2024-01-15,U-ACME-DE,SKU-100,1000.00,RUB,,\n"
        "T-5,2024-01-15,U-ACME-DE,SKU-100,100.00,CHF,,1.05\n",
    )
    report = import_file(entity="transactions", path=tx)
    assert not report.errors, report.errors
    lines = {
        t.external_id: (t.net_amount, t.currency, t.original_amount, t.original_currency, t.cost)
        for t in Transaction.objects.all()
    }
    assert lines == {
        "T-1": (Decimal("90.00"), "EUR", Decimal("100.00"), "USD", Decimal("45.00")),
        "T-2": (Decimal("95.00"), "EUR", Decimal("100.00"), "USD", None),
        "T-3": (Decimal("100.00"), "EUR", Decimal("100.00"), "EUR", None),
        "T-4": (Decimal("10.00"), "EUR", Decimal("1000.00"), "RUB", None),
        "T-5": (Decimal("105.00"), "EUR", Decimal("100.00"), "CHF", None),
    }
    # the roll-ups hold the converted amounts
    assert sum(r.net_amount for r in MonthlyRollup.objects.all()) == Decimal("400.00")
    # importing the same file again changes nothing
    again = import_file(entity="transactions", path=tx)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)


def test_a_line_whose_currency_has_no_rate_is_refused(catalogue, tmp_path):
    tx = _write(
        tmp_path,
        "external_id,date,unit,product,net_amount,currency\n"
        "T-1,2024-01-15,U-ACME-DE,SKU-100,100.00,EUR\n"
        "T-2,2024-01-15,U-ACME-DE,SKU-100,100.00,GBP\n",
    )
    report = import_file(entity="transactions", path=tx)
    assert [(e.line, e.column, e.value) for e in report.errors] == [(3, "currency", "GBP")]
    assert "no exchange rate" in report.errors[0].reason
    assert not Transaction.objects.exists()


def test_a_rate_table_row_is_checked(db, tmp_path):
    rates = _write(
        tmp_path,
        "currency,valid_from,valid_to,rate\n"
        "US,2024-01-01,,0.9\nUSD,2024-02-01,2024-01-01,0.9\nGBP,2024-01-01,,0\nEUR,2024-01-01,,1\n",
    )
    report = import_file(entity="currency-rates", path=rates)
    assert [(e.line, e.column) for e in report.errors] == [
        (2, "currency"),
        (3, "valid_to"),
        (4, "rate"),
        (5, "currency"),
    ]


def test_an_export_of_converted_lines_reimports_unchanged(catalogue, tmp_path):
    from kam.dataio.exporters import export_entity

    tx = _write(
        tmp_path,
        "external_id,date,unit,product,net_amount,currency,rate\n"
        "T-1,2024-01-15,U-ACME-DE,SKU-100,100.00,USD,0.9\n",
    )
    assert not import_file(entity="transactions", path=tx).errors
    out = tmp_path / "out.csv"
    export_entity(entity="transactions", fmt="csv", out=str(out))
    header = out.read_text(encoding="utf-8-sig").splitlines()[0]
    assert "original_amount" in header and "rate" not in header.split(",")
    report = import_file(entity="transactions", path=out)
    assert (report.unchanged, report.updated) == (1, 0), report.errors
    t = Transaction.objects.get()
    assert (t.original_amount, t.original_currency) == (Decimal("100.00"), "USD")


def test_dates_show_day_first_in_english_and_russian():
    from django.template import Context, Template

    template = Template('{{ day|date:"SHORT_DATE_FORMAT" }}')
    day = dt.date(2026, 3, 4)
    with translation.override("en"):
        assert template.render(Context({"day": day})) == "04/03/2026"
    with translation.override("ru"):
        assert template.render(Context({"day": day})) == "04.03.2026"


def test_the_upload_page_shows_the_decoded_preview_and_lets_the_encoding_be_chosen(
    client_for, settings, tmp_path
):
    import re

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from kam.dataio.models import ImportJob, JobStatus

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    admin = client_for("admin")
    data = (FIXTURES / "units_west_cp1252.csv").read_bytes()
    upload = SimpleUploadedFile("west.csv", data, content_type="text/csv")
    response = admin.post(reverse("dataio:upload"), {"entity": "units", "file": upload})
    columns_url = response["Location"]
    job = ImportJob.objects.get(pk=int(re.search(r"/import/(\d+)/", columns_url)[1]))
    html = admin.get(columns_url).content.decode()
    assert "Köln" in html and "decoded as cp1252" in html
    form = {
        f"col_{i}": name
        for i, name in enumerate(["external_id", "name", "kind", "country", "region", "city"])
    }
    # another encoding: the preview again, nothing starts
    response = admin.post(columns_url, {**form, "encoding": "cp1251", "show_preview": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Kцln" in html and "decoded as cp1251" in html
    job.refresh_from_db()
    assert job.status == JobStatus.UPLOADED
    response = admin.post(columns_url, {**form, "encoding": "cp1252", "date_order": "auto"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.message
    assert job.mapping["options"]["encoding"] == "cp1252"
    assert Unit.objects.get(external_id="W-KOELN").city == "Köln"
