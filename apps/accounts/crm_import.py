"""CRM import: create and update accounts, and record renewals, from a CSV exported from a CRM.

A CS manager uploads the file; `import_job_create` checks that it is a readable CSV with the
required columns and queues an `ImportJob`; the Celery task calls `import_job_run`, which checks
every row first (reporting progress) and then writes all rows in one transaction, or none of them.

File format
-----------
- CSV encoded as UTF-8 (a byte-order mark, as Excel writes it, is fine), at most 5 MB. The first
  row names the columns; the separator may be a comma, a semicolon or a tab.
- Column names are matched ignoring case, spaces, underscores and punctuation, so
  "Account Name", "account_name" and "ACCOUNTNAME" are the same; the aliases below are accepted
  too. Other columns are ignored (the job page lists them).
- Row numbers in the report are those a spreadsheet shows: the header is row 1.
- Amounts: digits with "." before the cents and optionally "," between thousands; a currency
  symbol or code and spaces are ignored ("$12,000.00", "12000", "USD 12,000"). Negative amounts,
  and decimal commas ("12.000,00"), are rejected rather than guessed.
- Dates: ISO "YYYY-MM-DD" (a time after it is ignored) or US "MM/DD/YYYY".

Accounts file (one row per account)
    external_id (required; "Account ID", "CRM id") -- the key: the account with this CRM id is
        updated; otherwise an account of the same name that has no CRM id yet is linked and
        updated; otherwise a new account is created.
    name (required; "Account Name", "Company")
    segment (required) -- Enterprise, Mid-market ("Mid Market", "mid_market", "MM") or SMB.
    arr (required; "Annual Recurring Revenue") -- amount.
    vertical -- Banking, Healthcare, Retail, Manufacturing, Public sector or Other (default Other).
    touch_model -- High or Low ("High touch", "Tech touch"; default Low).
    licensed_seats ("Seats", "Licenses") -- whole number (default 0).
    contract_start, renewal_date ("Contract End Date") -- dates.
    status -- Active or Churned (default Active).
    cs_manager_email ("CSM", "CSM Email") -- the e-mail of an existing CS manager in Cairn.
  A blank optional cell leaves an existing account's value as it is.

Renewals file (one row per renewal opportunity)
    account (required; "Account ID", "external_id") -- CRM id of an account already in Cairn.
    close_date (required; "Close Date", "Renewal Date") -- date; with the account, the key: a
        renewal already recorded for that account and date is updated.
    planned_value (required; "Previous ARR") -- amount due to renew.
    stage (required; "Outcome", "Stage Name") -- "Closed Won"/"Won", "Closed Lost"/"Lost"; any
        other stage ("Open", "Negotiation", "Proposal", ...) is an open renewal.
    renewed_value ("Renewed ARR", "New ARR") -- amount; required when won, blank or 0 when lost,
        blank while open.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import PurePath

from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts.models import (
    Account,
    AccountStatus,
    ImportJob,
    ImportKind,
    ImportStatus,
    Renewal,
    RenewalOutcome,
    Role,
    Segment,
    TouchModel,
    User,
    Vertical,
)
from apps.accounts.services import PermissionDenied, ServiceError

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 5 * 1024 * 1024
PROGRESS_EVERY = 200
MAX_REPORTED_ERRORS = 1000
BATCH_SIZE = 500
MAX_AMOUNT = Decimal("999999999999.99")  # DecimalField(max_digits=14, decimal_places=2)
MAX_SEATS = 2_147_483_647


class ImportFileError(ServiceError):
    """The file as a whole cannot be imported (not a CSV, too big, columns missing...)."""


class CellError(ValueError):
    """One cell cannot be read; the message is shown next to its row and column."""


# --- Columns ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    field: str
    required: bool
    aliases: tuple[str, ...]
    format: str


ACCOUNT_COLUMNS = (
    Column(
        "external_id",
        True,
        ("Account ID", "CRM id", "CRM Account ID", "External ID"),
        "The account's id in the CRM. An account with this id is updated, otherwise one is created.",
    ),
    Column(
        "name", True, ("Account Name", "Company", "Company Name", "Customer Name"), "Up to 200 characters."
    ),
    Column("segment", True, ("Account Segment", "Customer Segment"), "Enterprise, Mid-market or SMB."),
    Column(
        "arr",
        True,
        ("Annual Recurring Revenue", "Current ARR"),
        "Amount, e.g. 12000 or $12,000.00. Not negative.",
    ),
    Column(
        "vertical",
        False,
        ("Industry",),
        "Banking, Healthcare, Retail, Manufacturing, Public sector or Other. New accounts: Other.",
    ),
    Column("touch_model", False, ("Touch",), "High or Low (also High touch, Tech touch). New accounts: Low."),
    Column("licensed_seats", False, ("Seats", "Licenses", "Licences"), "Whole number. New accounts: 0."),
    Column("contract_start", False, ("Contract Start Date", "Start Date"), "Date: YYYY-MM-DD or MM/DD/YYYY."),
    Column(
        "renewal_date",
        False,
        ("Contract End Date", "Contract End", "Next Renewal Date"),
        "Date: YYYY-MM-DD or MM/DD/YYYY.",
    ),
    Column(
        "status", False, ("Account Status", "Customer Status"), "Active or Churned. New accounts: Active."
    ),
    Column(
        "cs_manager_email",
        False,
        ("CSM", "CSM Email", "CS Manager", "Customer Success Manager"),
        "E-mail of a CS manager who has a Cairn login.",
    ),
)

RENEWAL_COLUMNS = (
    Column(
        "account",
        True,
        ("Account ID", "CRM id", "External ID", "Account External ID"),
        "CRM id (external_id) of an account already in Cairn.",
    ),
    Column(
        "close_date",
        True,
        ("Close Date", "Renewal Date"),
        "Date: YYYY-MM-DD or MM/DD/YYYY. A renewal of the same account and date is updated.",
    ),
    Column("planned_value", True, ("Planned", "Previous ARR", "Renewable ARR"), "Amount due to renew."),
    Column(
        "stage",
        True,
        ("Outcome", "Stage Name", "Opportunity Stage"),
        "Closed Won / Won, Closed Lost / Lost; any other stage (Open, Negotiation, Proposal...) is open.",
    ),
    Column(
        "renewed_value",
        False,
        ("Renewed", "Renewed ARR", "New ARR"),
        "Amount. Required when won; blank or 0 when lost; blank while open.",
    ),
)

COLUMNS = {ImportKind.ACCOUNTS: ACCOUNT_COLUMNS, ImportKind.RENEWALS: RENEWAL_COLUMNS}

EXAMPLE_ROWS = {
    ImportKind.ACCOUNTS: [
        [
            "CRM-1001",
            "Northwind Bank",
            "Enterprise",
            "$250,000.00",
            "Banking",
            "High",
            "400",
            "2024-02-01",
            "2026-01-31",
            "Active",
            "",
        ],
        [
            "CRM-1002",
            "Globex Retail",
            "Mid-market",
            "48000",
            "Retail",
            "Low",
            "60",
            "03/15/2024",
            "03/14/2026",
            "Active",
            "",
        ],
        ["CRM-1003", "Initech", "SMB", "9,500", "", "", "", "", "", "Churned", ""],
    ],
    ImportKind.RENEWALS: [
        ["CRM-1001", "2025-01-31", "$240,000.00", "Closed Won", "$250,000.00"],
        ["CRM-1003", "2025-06-30", "12000", "Closed Lost", ""],
        ["CRM-1002", "03/14/2026", "48,000", "Negotiation", ""],
    ],
}


def header_key(text: str) -> str:
    """How a column name is compared: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def template_csv(*, kind: str) -> str:
    """An example file of `kind`, with a BOM so that Excel opens it as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.field for column in COLUMNS[kind]])
    writer.writerows(EXAMPLE_ROWS[kind])
    return "\ufeff" + out.getvalue()


# --- Cells --------------------------------------------------------------------------------------

_CURRENCY = re.compile(r"[$€£¥]|USD|EUR|GBP|CAD|AUD|CHF", re.IGNORECASE)
_AMOUNT = re.compile(r"(\d+|\d{1,3}(?:,\d{3})+)(?:\.(\d{1,2}))?")
_WHOLE = re.compile(r"\d+|\d{1,3}(?:,\d{3})+")
_ISO_DATE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def amount_parse(raw: str) -> Decimal:
    """'$12,000.00' -> Decimal('12000.00'). Rejects negatives and anything ambiguous."""
    text = re.sub(r"\s", "", _CURRENCY.sub("", raw))
    if text.startswith("-") or text.endswith("-") or (text.startswith("(") and text.endswith(")")):
        raise CellError(f"“{raw}” is negative; amounts must be 0 or more.")
    if not _AMOUNT.fullmatch(text):
        raise CellError(
            f"“{raw}” is not an amount: use digits, “.” before the cents and optionally “,” "
            "between thousands, e.g. 12,000.00."
        )
    value = Decimal(text.replace(",", ""))
    if value > MAX_AMOUNT:
        raise CellError(f"“{raw}” is too large.")
    return value


def whole_number_parse(raw: str) -> int:
    text = re.sub(r"\s", "", raw)
    if text.startswith("-"):
        raise CellError(f"“{raw}” is negative; use 0 or more.")
    if not _WHOLE.fullmatch(text):
        raise CellError(f"“{raw}” is not a whole number.")
    digits = text.replace(",", "").lstrip("0")
    # Checked on the digits first: Python refuses to convert a number of thousands of digits.
    if len(digits) > len(str(MAX_SEATS)) or int(digits or 0) > MAX_SEATS:
        raise CellError(f"“{raw}” is too large.")
    return int(digits or 0)


def date_parse(raw: str) -> date:
    """ISO 'YYYY-MM-DD' (a time part is ignored) or US 'MM/DD/YYYY'."""
    if match := _ISO_DATE.fullmatch(raw):
        year, month, day = match.groups()
    elif match := _US_DATE.fullmatch(raw):
        month, day, year = match.groups()
    else:
        raise CellError(f"“{raw}” is not a date: use YYYY-MM-DD (2025-01-31) or MM/DD/YYYY (01/31/2025).")
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise CellError(f"“{raw}” is not a real date.") from None


def _choice_parser(words: dict[str, str], allowed: str) -> Callable[[str], str]:
    lookup = {header_key(word): value for word, value in words.items()}

    def parse(raw: str) -> str:
        try:
            return lookup[header_key(raw)]
        except KeyError:
            raise CellError(f"“{raw}” is not one of {allowed}.") from None

    return parse


segment_parse = _choice_parser(
    {
        **{label: value for value, label in Segment.choices},
        **{value: value for value in Segment.values},
        "Ent": Segment.ENTERPRISE,
        "MM": Segment.MID_MARKET,
        "Mid": Segment.MID_MARKET,
        "Small business": Segment.SMB,
    },
    "Enterprise, Mid-market, SMB",
)
vertical_parse = _choice_parser(
    {
        **{label: value for value, label in Vertical.choices},
        **{value: value for value in Vertical.values},
        "Financial services": Vertical.BANKING,
        "Health care": Vertical.HEALTHCARE,
        "Government": Vertical.PUBLIC_SECTOR,
    },
    "Banking, Healthcare, Retail, Manufacturing, Public sector, Other",
)
touch_model_parse = _choice_parser(
    {
        "High": TouchModel.HIGH,
        "High touch": TouchModel.HIGH,
        "Low": TouchModel.LOW,
        "Low touch": TouchModel.LOW,
        "Tech touch": TouchModel.LOW,
        "Digital": TouchModel.LOW,
    },
    "High, Low",
)
status_parse = _choice_parser(
    {
        "Active": AccountStatus.ACTIVE,
        "Active customer": AccountStatus.ACTIVE,
        "Customer": AccountStatus.ACTIVE,
        "Churned": AccountStatus.CHURNED,
        "Churn": AccountStatus.CHURNED,
        "Former customer": AccountStatus.CHURNED,
    },
    "Active, Churned",
)

_WON = {header_key(w) for w in ("Closed Won", "Won", "Renewed", "Closed Renewed")}
_LOST = {header_key(w) for w in ("Closed Lost", "Lost", "Churned", "Closed Churned")}


def stage_parse(raw: str) -> str:
    """CRM opportunity stage -> renewal outcome; every stage that is not closed is open."""
    key = header_key(raw)
    if key in _WON:
        return RenewalOutcome.WON
    if key in _LOST:
        return RenewalOutcome.LOST
    if key.startswith("closed"):
        raise CellError(f"“{raw}” is a closed stage Cairn cannot read: use Closed Won or Closed Lost.")
    return RenewalOutcome.OPEN


def _text_parser(max_length: int) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if len(raw) > max_length:
            raise CellError(f"is longer than {max_length} characters.")
        return raw

    return parse


def _email_parse(raw: str) -> str:
    return raw.lower()


CELL_PARSERS: dict[str, Callable[[str], object]] = {
    "external_id": _text_parser(100),
    "name": _text_parser(200),
    "segment": segment_parse,
    "arr": amount_parse,
    "vertical": vertical_parse,
    "touch_model": touch_model_parse,
    "licensed_seats": whole_number_parse,
    "contract_start": date_parse,
    "renewal_date": date_parse,
    "status": status_parse,
    "cs_manager_email": _email_parse,
    "account": _text_parser(100),
    "close_date": date_parse,
    "planned_value": amount_parse,
    "renewed_value": amount_parse,
    "stage": stage_parse,
}


# --- The file -----------------------------------------------------------------------------------


@dataclass
class CsvTable:
    """A CSV file read against the columns of one kind of import."""

    kind: str
    headers: list[str]  # as written in the file
    positions: dict[str, int]  # field -> index in a row
    ignored: list[str]
    records: list[tuple[int, list[str]]]  # (spreadsheet row number, cells), blank rows left out

    def label(self, field_name: str) -> str:
        """The column as the file names it, so the report speaks the user's words."""
        position = self.positions.get(field_name)
        return self.headers[position] if position is not None else field_name


def file_text_read(*, uploaded_file) -> str:
    """The text of an uploaded CSV file, or ImportFileError saying why it cannot be one."""
    name = uploaded_file.name or ""
    if PurePath(name).suffix.lower() not in (".csv", ".txt"):
        raise ImportFileError(
            f"“{name}” is not a CSV file. Export or save the sheet as “CSV UTF-8” and upload that."
        )
    if uploaded_file.size is not None and uploaded_file.size > MAX_FILE_BYTES:
        raise ImportFileError(
            f"The file is {math.ceil(uploaded_file.size * 100 / 1024 / 1024) / 100} MB; the limit is "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB. Split it into smaller files."
        )
    raw = uploaded_file.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_FILE_BYTES // 1024 // 1024} MB. Split it.")
    if not raw.strip():
        raise ImportFileError("The file is empty.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            "The file is not UTF-8 text. If it is an Excel workbook, use File > Save As > “CSV UTF-8”."
        ) from None
    if "\x00" in text:
        raise ImportFileError("The file holds binary data, not CSV text.")
    return text


def _delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=first_line.count)


def _records(text: str) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        yield from reader
    except csv.Error as exc:
        raise ImportFileError(f"Line {reader.line_num} of the file is not valid CSV ({exc}).") from None


def csv_table_read(text: str, *, kind: str) -> CsvTable:
    """Read the header and rows of a CSV file; raise ImportFileError when columns are missing."""
    columns = COLUMNS[kind]
    records = _records(text.removeprefix("\ufeff"))
    headers = [cell.strip() for cell in next(records, [])]
    if not any(headers):
        raise ImportFileError("The file is empty.")
    by_key = {}
    for column in columns:
        for alias in (column.field, *column.aliases):
            by_key[header_key(alias)] = column.field
    positions: dict[str, int] = {}
    ignored = []
    for index, header in enumerate(headers):
        field_name = by_key.get(header_key(header))
        if field_name is None:
            if header:
                ignored.append(header)
        elif field_name in positions:
            raise ImportFileError(
                f"The columns “{headers[positions[field_name]]}” and “{header}” both give {field_name}; "
                "keep one of them."
            )
        else:
            positions[field_name] = index
    missing = [column.field for column in columns if column.required and column.field not in positions]
    if missing:
        found = ", ".join(f"“{h}”" for h in headers if h) or "none"
        raise ImportFileError(
            f"The file has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''} "
            f"(required for {kind}). The first row must name the columns; it has: {found}."
        )
    rows = [
        (number, cells)
        for number, cells in enumerate(records, start=2)
        if any(cell.strip() for cell in cells)
    ]
    if not rows:
        raise ImportFileError("The file has a header row but no data rows.")
    return CsvTable(kind=kind, headers=headers, positions=positions, ignored=ignored, records=rows)


# --- Checking rows ------------------------------------------------------------------------------


@dataclass
class Row:
    number: int
    values: dict[str, object]  # field -> parsed value, for the non-blank cells only


@dataclass
class ImportPlan:
    """What an import would write, or why it cannot."""

    to_create: list = field(default_factory=list)
    to_update: list = field(default_factory=list)
    update_fields: set[str] = field(default_factory=set)
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)


class _Report:
    def __init__(self, table: CsvTable):
        self.table = table
        self.errors: list[dict] = []

    def add(self, row: int | None, field_name: str, message: str) -> None:
        column = self.table.label(field_name) if field_name else ""
        self.errors.append({"row": row, "column": column, "message": message})


def rows_parse(
    table: CsvTable, report: _Report, *, on_progress: Callable[[int], None] | None = None
) -> list[Row]:
    """Parse every cell; rows with a bad cell are reported and left out of the result."""
    required = {column.field for column in COLUMNS[table.kind] if column.required}
    width = len(table.headers)
    rows = []
    for done, (number, cells) in enumerate(table.records, start=1):
        ok = True
        if any(cell.strip() for cell in cells[width:]):
            report.add(number, "", f"This row has more cells than the header has columns ({width}).")
            ok = False
        values = {}
        for field_name, position in table.positions.items():
            raw = cells[position].strip() if position < len(cells) else ""
            if not raw:
                if field_name in required:
                    report.add(number, field_name, "This value is required.")
                    ok = False
                continue
            try:
                values[field_name] = CELL_PARSERS[field_name](raw)
            except CellError as exc:
                report.add(number, field_name, str(exc))
                ok = False
        if ok:
            rows.append(Row(number, values))
        if on_progress and done % PROGRESS_EVERY == 0:
            on_progress(done)
    if on_progress:
        on_progress(len(table.records))
    return rows


def _in_chunks(queryset: QuerySet, lookup: str, values: Iterable) -> Iterator:
    """`queryset.filter(<lookup>__in=values)` in chunks, within every database's parameter limit."""
    values = list(values)
    for start in range(0, len(values), BATCH_SIZE):
        yield from queryset.filter(**{f"{lookup}__in": values[start : start + BATCH_SIZE]})


def _first_rows(rows: list[Row], key: Callable[[Row], object], report: _Report, field_name: str, what: str):
    """Keep the first row of each key; report the later ones as duplicates."""
    seen: dict[object, int] = {}
    kept = []
    for row in rows:
        value = key(row)
        if value in seen:
            report.add(row.number, field_name, f"{what} is also on row {seen[value]}; each may appear once.")
        else:
            seen[value] = row.number
            kept.append(row)
    return kept


ACCOUNT_DEFAULTS = {
    "vertical": Vertical.OTHER,
    "touch_model": TouchModel.LOW,
    "status": AccountStatus.ACTIVE,
    "licensed_seats": 0,
}


def accounts_plan(table: CsvTable, *, on_progress: Callable[[int], None] | None = None) -> ImportPlan:
    """Check an accounts file against the database; return the accounts to create and update."""
    report = _Report(table)
    rows = rows_parse(table, report, on_progress=on_progress)
    for row in rows:
        start, end = row.values.get("contract_start"), row.values.get("renewal_date")
        if start and end and end < start:
            report.add(row.number, "renewal_date", "The renewal date is before the contract start.")
    rows = _first_rows(rows, lambda r: r.values["external_id"], report, "external_id", "This CRM id")
    rows = _first_rows(rows, lambda r: r.values["name"], report, "name", "This account name")

    by_external_id = {
        a.external_id: a
        for a in _in_chunks(Account.objects.all(), "external_id", {r.values["external_id"] for r in rows})
    }
    by_name = {a.name: a for a in _in_chunks(Account.objects.all(), "name", {r.values["name"] for r in rows})}
    cs_managers = {  # a vendor has a handful of CS managers; e-mails are matched ignoring case
        email.lower(): pk
        for pk, email in User.objects.filter(role=Role.CS_MANAGER, is_active=True).values_list("pk", "email")
    }

    plan = ImportPlan()
    for row in rows:
        values = dict(row.values)
        external_id, name = values["external_id"], values["name"]
        account = by_external_id.get(external_id)
        if account is None and name in by_name and by_name[name].external_id is None:
            account = by_name[name]  # created in Cairn before the CRM knew it: link it
        holder = by_name.get(name)
        if holder is not None and (account is None or holder.pk != account.pk):
            known_as = f"CRM id {holder.external_id}" if holder.external_id else "no CRM id"
            report.add(row.number, "name", f"“{name}” is already the name of another account ({known_as}).")
            continue
        if "cs_manager_email" in values:
            email = values.pop("cs_manager_email")
            if email not in cs_managers:
                report.add(row.number, "cs_manager_email", f"{email} is not a CS manager with a Cairn login.")
                continue
            values["cs_manager_id"] = cs_managers[email]  # by id: comparing `cs_manager` would query
        if account is None:
            plan.to_create.append(Account(**{**ACCOUNT_DEFAULTS, **values}))
            continue
        changed = {key for key, value in values.items() if getattr(account, key) != value}
        if changed:
            for field_name in changed:
                setattr(account, field_name, values[field_name])
            plan.to_update.append(account)
            plan.update_fields |= changed
        else:
            plan.unchanged += 1
    plan.errors = report.errors
    return plan


def renewals_plan(table: CsvTable, *, on_progress: Callable[[int], None] | None = None) -> ImportPlan:
    """Check a renewals file against the database; return the renewals to create and update."""
    report = _Report(table)
    rows = rows_parse(table, report, on_progress=on_progress)
    checked = []
    for row in rows:
        outcome, renewed = row.values["stage"], row.values.get("renewed_value")
        if outcome == RenewalOutcome.WON and renewed is None:
            report.add(row.number, "renewed_value", "A won renewal needs the renewed value.")
        elif outcome == RenewalOutcome.LOST and renewed:
            report.add(
                row.number, "renewed_value", "A lost renewal has no renewed value: leave it blank or 0."
            )
        elif outcome == RenewalOutcome.OPEN and renewed is not None:
            report.add(
                row.number, "renewed_value", "An open renewal has no renewed value yet: leave it blank."
            )
        else:
            checked.append(row)
    rows = _first_rows(
        checked,
        lambda r: (r.values["account"], r.values["close_date"]),
        report,
        "close_date",
        "A renewal of this account on this date",
    )

    accounts = {
        a.external_id: a.pk
        for a in _in_chunks(
            Account.objects.only("pk", "external_id"), "external_id", {r.values["account"] for r in rows}
        )
    }
    existing = {
        (r.account_id, r.close_date): r
        for r in _in_chunks(Renewal.objects.all(), "account_id", set(accounts.values()))
    }

    plan = ImportPlan()
    for row in rows:
        account_id = accounts.get(row.values["account"])
        if account_id is None:
            report.add(row.number, "account", f"No account has the CRM id “{row.values['account']}”.")
            continue
        outcome = row.values["stage"]
        values = {
            "planned_value": row.values["planned_value"],
            "outcome": outcome,
            "renewed_value": Decimal("0")
            if outcome == RenewalOutcome.LOST
            else row.values.get("renewed_value"),
        }
        renewal = existing.get((account_id, row.values["close_date"]))
        if renewal is None:
            plan.to_create.append(
                Renewal(account_id=account_id, close_date=row.values["close_date"], **values)
            )
            continue
        changed = {key for key, value in values.items() if getattr(renewal, key) != value}
        if changed:
            for field_name in changed:
                setattr(renewal, field_name, values[field_name])
            plan.to_update.append(renewal)
            plan.update_fields |= changed
        else:
            plan.unchanged += 1
    plan.errors = report.errors
    return plan


PLANNERS = {ImportKind.ACCOUNTS: accounts_plan, ImportKind.RENEWALS: renewals_plan}
MODELS = {ImportKind.ACCOUNTS: Account, ImportKind.RENEWALS: Renewal}


# --- Services -----------------------------------------------------------------------------------


def import_job_list(*, limit: int = 20) -> QuerySet[ImportJob]:
    """The most recent imports, vendor-wide, without their (large) file text."""
    return ImportJob.objects.select_related("created_by").defer("content")[:limit]


def import_job_create(*, created_by: User, kind: str, uploaded_file) -> ImportJob:
    """Check that the upload is a CSV with the columns `kind` needs, queue its import, return the job.

    Raises ImportFileError (safe to show) when the file as a whole is unusable; row-level problems
    are found by `import_job_run`.
    """
    if not created_by.is_cs_manager:
        raise PermissionDenied("Only CS managers can import from the CRM.")
    if kind not in ImportKind.values:
        raise ImportFileError("Choose what the file holds: accounts or renewals.")
    text = file_text_read(uploaded_file=uploaded_file)
    table = csv_table_read(text, kind=kind)
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind,
            created_by=created_by,
            file_name=PurePath(uploaded_file.name).name[:255],
            content=text,
            total_rows=len(table.records),
            ignored_columns=table.ignored,
        )
        from apps.accounts.tasks import import_job_run as import_job_run_task

        transaction.on_commit(lambda: import_job_run_task.delay(job_id=job.pk))
    return job


def _finish(job_id: int, *, status: str, errors: list[dict] = (), **counts) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        status=status,
        finished_at=timezone.now(),
        errors=list(errors)[:MAX_REPORTED_ERRORS],
        error_count=len(errors),
        **counts,
    )


def import_job_run(*, job_id: int) -> None:
    """Run a queued import: check every row, then write all of them in one transaction, or none.

    Idempotent: a job that is done or failed is left alone, and the writes commit together with
    the job's "done", so a retry after a crash starts over safely.
    """
    claimed = ImportJob.objects.filter(
        pk=job_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
    ).update(status=ImportStatus.RUNNING, started_at=timezone.now(), processed_rows=0)
    if not claimed:
        return
    job = ImportJob.objects.get(pk=job_id)

    def progress(done: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(processed_rows=done)

    try:
        table = csv_table_read(job.content, kind=job.kind)
        plan = PLANNERS[job.kind](table, on_progress=progress)
        if plan.errors:
            plan.errors.sort(key=lambda e: e["row"] or 0)
            _finish(job_id, status=ImportStatus.FAILED, errors=plan.errors)
            return
        model = MODELS[job.kind]
        with transaction.atomic():
            if ImportJob.objects.select_for_update().get(pk=job_id).status != ImportStatus.RUNNING:
                return  # another delivery of this task finished it meanwhile
            model.objects.bulk_create(plan.to_create, batch_size=BATCH_SIZE)
            if plan.to_update:
                model.objects.bulk_update(plan.to_update, sorted(plan.update_fields), batch_size=BATCH_SIZE)
            _finish(
                job_id,
                status=ImportStatus.DONE,
                created_count=len(plan.to_create),
                updated_count=len(plan.to_update),
                unchanged_count=plan.unchanged,
            )
    except ImportFileError as exc:
        _finish(job_id, status=ImportStatus.FAILED, errors=[{"row": None, "column": "", "message": str(exc)}])
    except (OperationalError, InterfaceError):
        raise  # the database failed for a moment (down, a dropped connection): the task retries
    except IntegrityError:
        logger.warning("CRM import %s conflicted with a concurrent change", job_id, exc_info=True)
        message = "The data changed while the import ran, so nothing was written. Upload the file again."
        _finish(job_id, status=ImportStatus.FAILED, errors=[{"row": None, "column": "", "message": message}])
    except Exception:
        logger.exception("CRM import %s failed", job_id)
        message = "The import stopped on an unexpected error; nothing was written. Our team has been told."
        _finish(job_id, status=ImportStatus.FAILED, errors=[{"row": None, "column": "", "message": message}])
