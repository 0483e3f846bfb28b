import re
from datetime import date
from decimal import Decimal

import pytest
from celery.exceptions import Retry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, InterfaceError, OperationalError
from django.urls import reverse

from apps.accounts import crm_import
from apps.accounts.crm_import import CellError, ImportFileError
from apps.accounts.models import Account, ImportJob, ImportStatus, Renewal
from apps.accounts.tasks import import_job_run
from tests.factories import AccountFactory, RenewalFactory, UserFactory

ACCOUNTS_CSV = """\
Account ID,Account Name,Segment,ARR,Vertical,Touch Model,Seats,Contract Start,Renewal Date,Status
CRM-1,Northwind Bank,Enterprise,"$250,000.00",Banking,High,400,2024-02-01,2026-01-31,Active
CRM-2,Globex Retail,Mid Market,48000,retail,low,60,03/15/2024,03/14/2026,
CRM-3,Initech,smb,"9,500",,,,,,Churned
"""


def csv_file(content, name="export.csv"):
    data = content if isinstance(content, bytes) else content.encode()
    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.fixture
def run(csm, django_capture_on_commit_callbacks):
    """`run(kind, content)` uploads a file as the CS manager and runs its job as Celery would."""

    def run(kind, content, name="export.csv"):
        with django_capture_on_commit_callbacks(execute=True):
            job = crm_import.import_job_create(
                created_by=csm, kind=kind, uploaded_file=csv_file(content, name)
            )
        job.refresh_from_db()
        return job

    return run


def problems(job):
    return [(e["row"], e["column"], e["message"]) for e in job.errors]


class TestCells:
    @pytest.mark.parametrize(
        ("raw", "value"),
        [
            ("$12,000.00", Decimal("12000.00")),
            ("12000", Decimal("12000")),
            ("1,234,567.5", Decimal("1234567.5")),
            ("USD 12,000", Decimal("12000")),
            ("€ 1 200", Decimal("1200")),
            ("£0", Decimal("0")),
        ],
    )
    def test_amounts(self, raw, value):
        assert crm_import.amount_parse(raw) == value

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ("-5", "negative"),
            ("$-1,000", "negative"),
            ("(1,000.00)", "negative"),
            ("€1.200", "not an amount"),
            ("12.000,00", "not an amount"),
            ("1,2", "not an amount"),
            ("12k", "not an amount"),
            ("1000000000000", "too large"),
        ],
    )
    def test_bad_amounts(self, raw, message):
        with pytest.raises(CellError, match=message):
            crm_import.amount_parse(raw)

    @pytest.mark.parametrize(
        ("raw", "value"),
        [
            ("2025-01-31", date(2025, 1, 31)),
            ("2025-01-31T09:30:00Z", date(2025, 1, 31)),
            ("01/31/2025", date(2025, 1, 31)),
            ("3/5/2025", date(2025, 3, 5)),
        ],
    )
    def test_dates(self, raw, value):
        assert crm_import.date_parse(raw) == value

    @pytest.mark.parametrize(
        ("raw", "message"), [("31.01.2025", "not a date"), ("2025-02-30", "not a real date")]
    )
    def test_bad_dates(self, raw, message):
        with pytest.raises(CellError, match=message):
            crm_import.date_parse(raw)

    @pytest.mark.parametrize(
        ("raw", "value"),
        [
            ("Enterprise", "enterprise"),
            ("Mid-market", "mid_market"),
            ("Mid Market", "mid_market"),
            ("mid_market", "mid_market"),
            ("MM", "mid_market"),
            ("SMB", "smb"),
        ],
    )
    def test_segments(self, raw, value):
        assert crm_import.segment_parse(raw) == value

    @pytest.mark.parametrize(
        ("raw", "outcome"),
        [
            ("Closed Won", "won"),
            ("Won", "won"),
            ("closed_won", "won"),
            ("Closed Lost", "lost"),
            ("Lost", "lost"),
            ("Open", "open"),
            ("Negotiation", "open"),
            ("Proposal", "open"),
        ],
    )
    def test_stages(self, raw, outcome):
        assert crm_import.stage_parse(raw) == outcome

    def test_unknown_closed_stage_is_not_guessed(self):
        with pytest.raises(CellError, match="Closed Won or Closed Lost"):
            crm_import.stage_parse("Closed Pending")

    def test_header_aliases_ignore_case_spaces_and_underscores(self):
        table = crm_import.csv_table_read(
            "crm_ID;ACCOUNT NAME;Customer Segment;Annual Recurring Revenue;Owner\nX;Y;SMB;1;Z\n",
            kind="accounts",
        )
        assert table.positions == {"external_id": 0, "name": 1, "segment": 2, "arr": 3}
        assert table.ignored == ["Owner"]

    def test_progress_is_reported_every_200_rows(self):
        text = "external_id,name,segment,arr\n" + "".join(f"C{i},N{i},SMB,1\n" for i in range(450))
        table = crm_import.csv_table_read(text, kind="accounts")
        calls = []
        crm_import.rows_parse(table, crm_import._Report(table), on_progress=calls.append)
        assert calls == [200, 400, 450]


@pytest.mark.django_db
class TestAccountsImport:
    def test_creates_accounts(self, run):
        job = run("accounts", ACCOUNTS_CSV)
        assert job.status == ImportStatus.DONE, job.errors
        assert (job.created_count, job.updated_count, job.unchanged_count) == (3, 0, 0)
        bank = Account.objects.get(external_id="CRM-1")
        assert bank.name == "Northwind Bank"
        assert (bank.segment, bank.vertical, bank.touch_model) == ("enterprise", "banking", "high")
        assert bank.arr == Decimal("250000.00")
        assert bank.licensed_seats == 400
        assert (bank.contract_start, bank.renewal_date) == (date(2024, 2, 1), date(2026, 1, 31))
        globex = Account.objects.get(external_id="CRM-2")
        assert (globex.segment, globex.contract_start, globex.status) == (
            "mid_market",
            date(2024, 3, 15),
            "active",
        )
        initech = Account.objects.get(external_id="CRM-3")
        assert (initech.arr, initech.vertical, initech.touch_model) == (Decimal("9500"), "other", "low")
        assert (initech.licensed_seats, initech.status) == (0, "churned")

    def test_reimport_is_idempotent_and_updates_what_changed(self, run):
        run("accounts", ACCOUNTS_CSV)
        again = run("accounts", ACCOUNTS_CSV)
        assert (again.status, again.created_count, again.updated_count, again.unchanged_count) == (
            "done",
            0,
            0,
            3,
        )
        changed = run(
            "accounts", "external_id,name,segment,arr\nCRM-1,Northwind Bank plc,Enterprise,260000\n"
        )
        assert (changed.created_count, changed.updated_count) == (0, 1)
        bank = Account.objects.get(external_id="CRM-1")
        assert (bank.name, bank.arr) == ("Northwind Bank plc", Decimal("260000"))
        # blank or absent optional cells leave the account as it was
        assert (bank.licensed_seats, bank.vertical) == (400, "banking")
        assert Account.objects.count() == 3

    def test_utf8_with_bom_semicolons_and_crlf(self, run):
        content = "\ufeffExternal_ID;Name;Segment;ARR\r\nCRM-9;Café Zürich;SMB;1 000\r\n".encode()
        job = run("accounts", content)
        assert job.status == "done", job.errors
        assert Account.objects.get(external_id="CRM-9").name == "Café Zürich"

    def test_cs_manager_is_set_by_email(self, run, csm):
        content = "external_id,name,segment,arr,CSM Email\nCRM-1,Bank,SMB,5,CSM@Vendor.example\n"
        job = run("accounts", content)
        assert job.status == "done", job.errors
        assert Account.objects.get(external_id="CRM-1").cs_manager == csm
        assert run("accounts", content).unchanged_count == 1
        other = UserFactory(email="other.csm@vendor.example", cs_manager=True)
        assert run("accounts", content.replace("CSM@Vendor", "other.csm@vendor")).updated_count == 1
        assert Account.objects.get(external_id="CRM-1").cs_manager == other

    def test_unknown_cs_manager_email_is_a_bad_row(self, run, csm, alice):
        content = (
            "external_id,name,segment,arr,cs_manager_email\n"
            "N1,One,SMB,5,nobody@vendor.example\n"
            "N2,Two,SMB,5,alice@a.example\n"
        )
        job = run("accounts", content)
        assert job.status == "failed"
        assert problems(job) == [
            (2, "cs_manager_email", "nobody@vendor.example is not a CS manager with a Cairn login."),
            (3, "cs_manager_email", "alice@a.example is not a CS manager with a Cairn login."),
        ]
        assert not Account.objects.filter(external_id__in=["N1", "N2"]).exists()

    def test_account_without_crm_id_is_linked_by_name(self, run):
        existing = AccountFactory(name="Hooli", external_id=None)
        job = run("accounts", "external_id,name,segment,arr\nCRM-H,Hooli,Enterprise,70000\n")
        assert (job.status, job.created_count, job.updated_count) == ("done", 0, 1)
        existing.refresh_from_db()
        assert (existing.external_id, existing.arr) == ("CRM-H", Decimal("70000"))

    def test_every_bad_row_is_reported_and_nothing_is_written(self, run, account_a):
        content = (
            "Account ID,Account Name,Segment,ARR,Contract Start,Renewal Date,Seats\n"
            "OK-1,Fine Co,SMB,100,,,\n"  # 2: good
            "OK-2,,SMB,100,,,\n"  # 3: no name
            "OK-3,Three,Large,100,,,\n"  # 4: segment
            "OK-4,Four,SMB,-100,,,\n"  # 5: negative
            "OK-5,Five,SMB,€1.200,,,\n"  # 6: amount
            "OK-6,Six,SMB,1,31.01.2024,,\n"  # 7: date
            "OK-7,Seven,SMB,1,2025-01-01,2024-01-01,\n"  # 8: renewal before start
            "OK-1,Fine Again,SMB,1,,,\n"  # 9: duplicate CRM id
            "OK-9,Account A,SMB,1,,,\n"  # 10: name of another account
            "OK-10,Ten,SMB,1,,,12.5\n"  # 11: seats
            "OK-11,Eleven,SMB,1,,,,surplus\n"  # 12: too many cells
            "\n"  # 13: blank rows are skipped
            "OK-12,Fine Co,SMB,1,,,\n"  # 14: duplicate name
        )
        job = run("accounts", content)
        assert job.status == "failed"
        assert job.error_count == 11
        assert [(row, column) for row, column, _ in problems(job)] == [
            (3, "Account Name"),
            (4, "Segment"),
            (5, "ARR"),
            (6, "ARR"),
            (7, "Contract Start"),
            (8, "Renewal Date"),
            (9, "Account ID"),
            (10, "Account Name"),
            (11, "Seats"),
            (12, ""),
            (14, "Account Name"),
        ]
        messages = {(row, column): message for row, column, message in problems(job)}
        assert messages[(3, "Account Name")] == "This value is required."
        assert "Enterprise, Mid-market, SMB" in messages[(4, "Segment")]
        assert "negative" in messages[(5, "ARR")]
        assert "not an amount" in messages[(6, "ARR")]
        assert "YYYY-MM-DD" in messages[(7, "Contract Start")]
        assert "before the contract start" in messages[(8, "Renewal Date")]
        assert messages[(9, "Account ID")] == "This CRM id is also on row 2; each may appear once."
        assert "already the name of another account (CRM id CRM-A)" in messages[(10, "Account Name")]
        assert "not a whole number" in messages[(11, "Seats")]
        assert "more cells than the header" in messages[(12, "")]
        assert messages[(14, "Account Name")] == "This account name is also on row 2; each may appear once."
        assert list(Account.objects.values_list("name", flat=True)) == ["Account A"]


@pytest.mark.django_db
class TestFileChecks:
    def create(self, csm, content, kind="accounts", name="export.csv"):
        return crm_import.import_job_create(created_by=csm, kind=kind, uploaded_file=csv_file(content, name))

    @pytest.mark.parametrize(
        ("content", "name", "message"),
        [
            (b"", "export.csv", "The file is empty."),
            (b"  \r\n", "export.csv", "The file is empty."),
            (b"external_id,name,segment,arr\n\n", "export.csv", "header row but no data rows"),
            ("external_id,name\nX,Café\n".encode("latin-1"), "export.csv", "not UTF-8"),
            (b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xa0", "export.xlsx", "is not a CSV file"),
            (b"a,b\x00,c\n", "export.csv", "binary data"),
            (b'external_id,name,segment,arr\nX,"Open quote,SMB,1\n', "export.csv", "not valid CSV"),
            (b"external_id,name\nX,Y\n", "export.csv", "has no segment, arr columns (required for accounts)"),
            (b"Account ID,CRM id,name,segment,arr\n", "export.csv", "both give external_id"),
        ],
    )
    def test_unusable_files_are_refused(self, csm, content, name, message):
        with pytest.raises(ImportFileError, match=re.escape(message)):
            self.create(csm, content, name=name)
        assert not ImportJob.objects.exists()

    def test_missing_renewal_columns_are_named(self, csm):
        with pytest.raises(ImportFileError) as exc:
            self.create(csm, "Account ID,Close Date\nX,2025-01-01\n", kind="renewals")
        assert "has no planned_value, stage columns" in str(exc.value)
        assert "it has: “Account ID”, “Close Date”" in str(exc.value)

    def test_oversized_file(self, csm):
        content = b"external_id,name,segment,arr\n" + b"x" * crm_import.MAX_FILE_BYTES
        with pytest.raises(ImportFileError, match=r"The file is 5\.01 MB; the limit is 5 MB"):
            self.create(csm, content)

    def test_only_cs_managers(self, content):
        with pytest.raises(crm_import.PermissionDenied):
            self.create(content, ACCOUNTS_CSV)


@pytest.mark.django_db
class TestRenewalsImport:
    HEADER = "Account ID,Close Date,Planned Value,Stage,Renewed Value\n"

    def test_closed_won_lost_and_open_stages(self, run, account_a, account_b):
        content = self.HEADER + (
            'CRM-A,2025-01-31,"$100,000.00",Closed Won,"$120,000.00"\n'
            "CRM-B,2025-02-28,50000,Closed Lost,\n"
            "CRM-A,2026-01-31,120000,Negotiation,\n"
            "CRM-B,02/28/2026,50000,Lost,0\n"
            "CRM-B,2027-02-28,50000,Open,\n"
        )
        job = run("renewals", content)
        assert job.status == "done", job.errors
        assert job.created_count == 5
        won = Renewal.objects.get(account=account_a, close_date=date(2025, 1, 31))
        assert (won.outcome, won.planned_value, won.renewed_value) == (
            "won",
            Decimal("100000"),
            Decimal("120000"),
        )
        lost = Renewal.objects.get(account=account_b, close_date=date(2025, 2, 28))
        assert (lost.outcome, lost.renewed_value) == ("lost", Decimal("0"))
        assert Renewal.objects.get(account=account_b, close_date=date(2026, 2, 28)).renewed_value == 0
        for renewal in Renewal.objects.filter(outcome="open"):
            assert renewal.renewed_value is None

    def test_reimport_updates_the_same_renewal(self, run, account_a):
        RenewalFactory(account=account_a, close_date=date(2026, 1, 31), renewed_value=None, outcome="open")
        job = run("renewals", self.HEADER + "CRM-A,2026-01-31,100000,Closed Won,110000\n")
        assert (job.status, job.created_count, job.updated_count) == ("done", 0, 1)
        again = run("renewals", self.HEADER + "CRM-A,2026-01-31,100000,Closed Won,110000\n")
        assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 1)
        renewal = Renewal.objects.get()
        assert (renewal.outcome, renewal.renewed_value) == ("won", Decimal("110000"))

    def test_bad_rows_are_reported_and_nothing_is_written(self, run, account_a):
        content = self.HEADER + (
            "CRM-A,2025-01-31,100,Won,100\n"  # 2: good
            "CRM-X,2025-01-31,100,Won,100\n"  # 3: unknown account
            "CRM-A,2025-02-28,100,Closed Won,\n"  # 4: won without value
            "CRM-A,2025-03-31,100,Closed Lost,50\n"  # 5: lost with value
            "CRM-A,2025-04-30,100,Proposal,80\n"  # 6: open with value
            "CRM-A,01/31/2025,100,Won,90\n"  # 7: same account and date as row 2
            "CRM-A,2025-05-31,100,Closed Pending,\n"  # 8: unreadable closed stage
            "CRM-A,,-100,,\n"  # 9: three problems
        )
        job = run("renewals", content)
        assert job.status == "failed"
        assert problems(job) == [
            (3, "Account ID", "No account has the CRM id “CRM-X”."),
            (4, "Renewed Value", "A won renewal needs the renewed value."),
            (5, "Renewed Value", "A lost renewal has no renewed value: leave it blank or 0."),
            (6, "Renewed Value", "An open renewal has no renewed value yet: leave it blank."),
            (
                7,
                "Close Date",
                "A renewal of this account on this date is also on row 2; each may appear once.",
            ),
            (
                8,
                "Stage",
                "“Closed Pending” is a closed stage Cairn cannot read: use Closed Won or Closed Lost.",
            ),
            (9, "Close Date", "This value is required."),
            (9, "Planned Value", "“-100” is negative; amounts must be 0 or more."),
            (9, "Stage", "This value is required."),
        ]
        assert not Renewal.objects.exists()


@pytest.mark.django_db
class TestImportJobRun:
    def test_progress_fields_when_done(self, run):
        job = run("accounts", ACCOUNTS_CSV)
        assert (job.status, job.total_rows, job.processed_rows) == ("done", 3, 3)
        assert job.started_at and job.finished_at and job.finished_at >= job.started_at
        assert (job.errors, job.error_count) == ([], 0)

    def test_running_twice_does_nothing_the_second_time(self, run):
        job = run("accounts", ACCOUNTS_CSV)
        Account.objects.filter(external_id="CRM-1").update(arr=1)
        import_job_run.delay(job_id=job.pk)
        assert Account.objects.get(external_id="CRM-1").arr == 1
        job.refresh_from_db()
        assert (job.status, job.created_count, job.updated_count) == ("done", 3, 0)

    def test_a_job_interrupted_while_running_is_run_again(self, run, csm):
        job = ImportJob.objects.create(
            kind="accounts",
            created_by=csm,
            file_name="x.csv",
            content=ACCOUNTS_CSV,
            status="running",
            total_rows=3,
        )
        import_job_run.delay(job_id=job.pk)
        job.refresh_from_db()
        assert (job.status, job.created_count) == ("done", 3)

    def test_unexpected_error_fails_the_job_without_writing(self, run, monkeypatch):
        def broken(*args, **kwargs):
            raise RuntimeError("boom")

        monkeypatch.setattr(Account.objects, "bulk_update", broken)
        AccountFactory(external_id="CRM-1", name="Old name")
        job = run("accounts", ACCOUNTS_CSV)
        assert job.status == "failed"
        assert "unexpected error; nothing was written" in job.errors[0]["message"]
        assert Account.objects.count() == 1

    @pytest.mark.parametrize(
        "error",
        [OperationalError("server closed the connection"), InterfaceError("connection already closed")],
    )
    def test_a_database_failure_is_retried_not_failed(self, run, monkeypatch, error):
        def lost(*args, **kwargs):
            raise error

        with monkeypatch.context() as patched:
            patched.setattr(Account.objects, "bulk_create", lost)
            with pytest.raises(Retry):  # the task is retried (eagerly here, so Retry surfaces)
                run("accounts", ACCOUNTS_CSV)
        job = ImportJob.objects.get()
        assert job.status == "running" and job.errors == [] and not Account.objects.exists()
        import_job_run.delay(job_id=job.pk)  # the retry, once the database is back
        job.refresh_from_db()
        assert (job.status, job.created_count) == ("done", 3)

    def test_a_conflicting_change_while_running_fails_the_job_cleanly(self, run, monkeypatch):
        def conflict(*args, **kwargs):
            raise IntegrityError("duplicate key value violates unique constraint")

        monkeypatch.setattr(Account.objects, "bulk_create", conflict)
        job = run("accounts", ACCOUNTS_CSV)
        assert job.status == "failed"
        assert "The data changed while the import ran" in job.errors[0]["message"]
        assert not Account.objects.exists()


class TestPages:
    upload_url = reverse("crm_import")

    def job_url(self, job):
        return reverse("crm_import_job", args=[job.pk])

    @pytest.mark.parametrize("who", ["alice", "carol", "bob", "content"])
    def test_other_roles_are_refused(self, request, client_of, csm, who):
        job = ImportJob.objects.create(kind="accounts", created_by=csm, file_name="x.csv", content="")
        client = client_of(request.getfixturevalue(who))
        for url in (self.upload_url, self.job_url(job), reverse("crm_import_template", args=["accounts"])):
            assert client.get(url).status_code == 403
        response = client.post(self.upload_url, {"kind": "accounts", "file": csv_file(ACCOUNTS_CSV)})
        assert response.status_code == 403
        assert not Account.objects.filter(external_id="CRM-1").exists()

    def test_anonymous_is_sent_to_sign_in(self, client, csm):
        job = ImportJob.objects.create(kind="accounts", created_by=csm, file_name="x.csv", content="")
        for url in (self.upload_url, self.job_url(job), reverse("crm_import_template", args=["renewals"])):
            response = client.get(url)
            assert response.status_code == 302 and response.url.startswith(reverse("login"))

    def test_upload_page_documents_columns_and_has_empty_state(self, client_of, csm):
        response = client_of(csm).get(self.upload_url)
        assert response.status_code == 200
        assert "No imports yet" in response.text
        for text in (
            "external_id",
            "cs_manager_email",
            "planned_value",
            "Annual Recurring Revenue",
            "MM/DD/YYYY",
        ):
            assert text in response.text
        assert reverse("crm_import_template", args=["renewals"]) in response.text

    def test_upload_runs_the_import_and_shows_the_result(
        self, client_of, csm, django_capture_on_commit_callbacks
    ):
        client = client_of(csm)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(self.upload_url, {"kind": "accounts", "file": csv_file(ACCOUNTS_CSV)})
        job = ImportJob.objects.get()
        assert response.status_code == 302 and response.url == self.job_url(job)
        page = client.get(response.url)
        assert "3 created" in page.text
        assert 'hx-trigger="every 1s"' not in page.text
        assert Account.objects.filter(external_id__in=["CRM-1", "CRM-2", "CRM-3"]).count() == 3
        listing = client.get(self.upload_url)
        assert "export.csv" in listing.text and "No imports yet" not in listing.text

    def test_bad_rows_are_listed_on_the_job_page(self, client_of, csm, django_capture_on_commit_callbacks):
        client = client_of(csm)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                self.upload_url,
                {
                    "kind": "renewals",
                    "file": csv_file(TestRenewalsImport.HEADER + "CRM-Z,2025-01-01,1,Won,1\n"),
                },
            )
        page = client.get(self.job_url(ImportJob.objects.get()))
        assert "Nothing was imported" in page.text
        assert "No account has the CRM id “CRM-Z”." in page.text

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"kind": "accounts"}, "This field is required."),
            (
                {"kind": "accounts", "file": csv_file(b"external_id,name\nX,Y\n")},
                "has no segment, arr columns",
            ),
            ({"kind": "accounts", "file": csv_file(b"\xff\xfe\x00", "export.csv")}, "not UTF-8"),
            ({"kind": "gadgets", "file": csv_file(ACCOUNTS_CSV)}, "Select a valid choice"),
        ],
    )
    def test_unusable_uploads_are_explained(self, client_of, csm, data, message):
        response = client_of(csm).post(self.upload_url, data)
        assert response.status_code == 400
        assert message in response.text
        assert not ImportJob.objects.exists()

    def test_running_job_polls_with_htmx(self, client_of, csm):
        job = ImportJob.objects.create(
            kind="accounts",
            created_by=csm,
            file_name="x.csv",
            content="",
            status="running",
            total_rows=1000,
            processed_rows=400,
        )
        client = client_of(csm)
        page = client.get(self.job_url(job))
        assert "<html" in page.text and 'hx-trigger="every 1s"' in page.text
        partial = client.get(self.job_url(job), headers={"HX-Request": "true"})
        assert partial.status_code == 200
        assert "<html" not in partial.text
        assert partial.text.lstrip().startswith('<section id="job-status"')
        assert '<progress id="job-progress" max="1000" value="400">' in partial.text
        assert 'hx-trigger="every 1s"' in partial.text

    def test_finished_job_partial_stops_polling(self, client_of, csm):
        job = ImportJob.objects.create(
            kind="accounts",
            created_by=csm,
            file_name="x.csv",
            content="",
            status="done",
            total_rows=2,
            processed_rows=2,
            created_count=2,
        )
        partial = client_of(csm).get(self.job_url(job), headers={"HX-Request": "true"})
        assert "<html" not in partial.text
        assert "hx-trigger" not in partial.text
        assert "2 created" in partial.text

    def test_unknown_job_is_404(self, client_of, csm):
        assert client_of(csm).get(reverse("crm_import_job", args=[999])).status_code == 404

    @pytest.mark.parametrize("kind", ["accounts", "renewals"])
    def test_template_downloads(self, client_of, csm, kind):
        response = client_of(csm).get(reverse("crm_import_template", args=[kind]))
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == f'attachment; filename="cairn-{kind}-import.csv"'
        header = response.content.decode("utf-8-sig").splitlines()[0].split(",")
        assert header == [column.field for column in crm_import.COLUMNS[kind]]

    def test_unknown_template_is_404(self, client_of, csm):
        assert client_of(csm).get(reverse("crm_import_template", args=["ideas"])).status_code == 404

    def test_templates_import_cleanly(self, run):
        accounts = run("accounts", crm_import.template_csv(kind="accounts"))
        renewals = run("renewals", crm_import.template_csv(kind="renewals"))
        assert (accounts.status, accounts.created_count) == ("done", 3), accounts.errors
        assert (renewals.status, renewals.created_count) == ("done", 3), renewals.errors

    def test_customer_list_links_to_import_for_cs_managers_only(self, client_of, csm, content):
        assert reverse("crm_import") in client_of(csm).get(reverse("customer_list")).text
        assert reverse("crm_import") not in client_of(content).get(reverse("customer_list")).text

    def test_query_counts_do_not_grow(self, client_of, csm, django_assert_max_num_queries):
        client = client_of(csm)
        other = UserFactory(cs_manager=True)
        job = ImportJob.objects.create(kind="accounts", created_by=csm, file_name="x.csv", content="")
        client.get(self.upload_url)
        for i in range(15):
            ImportJob.objects.create(
                kind="renewals",
                created_by=other,
                file_name=f"f{i}.csv",
                content="x",
                status="failed",
                errors=[{"row": 2, "column": "a", "message": "m"}] * 50,
                error_count=50,
            )
        with django_assert_max_num_queries(3):
            client.get(self.upload_url)
        failed = ImportJob.objects.filter(status="failed").first()
        with django_assert_max_num_queries(3):
            client.get(self.job_url(failed))
        with django_assert_max_num_queries(3):
            client.get(self.job_url(job), headers={"HX-Request": "true"})
