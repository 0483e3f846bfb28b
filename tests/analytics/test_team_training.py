"""The customer admin's own team training page (/team/training/) and `reports.training_team`,
which the API serves too: only customer admins, only their own account, no vendor-internal figures."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.analytics import periods, reports
from apps.assessments.models import SkillResult
from apps.interactions.models import Interaction
from tests.assessments.factories import AttemptFactory
from tests.factories import AccountFactory, UserFactory
from tests.learning.factories import SkillFactory

URL = "/team/training/"


def log(user, kind, days_ago, *, account=None):
    return Interaction.objects.create(
        account=account or user.account,
        user=user,
        kind=kind,
        occurred_at=timezone.now() - timedelta(days=days_ago),
    )


def result(user, skill, score):
    attempt = AttemptFactory(user=user)
    return SkillResult.objects.create(
        user=user, skill=skill, attempt=attempt, score=Decimal(score), achieved_at=timezone.now()
    )


@pytest.fixture
def activity(alice, carol, sam, bob, dana):
    """Account A: alice completed a course and a path, carol a course long ago (over 12 months)
    and a certification; account B: bob and dana trained a lot."""
    log(alice, "learning.course_completed", 10)
    log(alice, "learning.path_completed", 9)
    log(carol, "learning.course_completed", 400)
    log(carol, "certification.earned", 40)
    for person in (bob, dana):
        for days in (3, 50, 100):
            log(person, "learning.course_completed", days)
            log(person, "certification.earned", days)


# --- who may see it -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_people_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["alice", "sam", "content", "csm"])
def test_learners_and_vendor_staff_are_refused(client_of, request, who):
    person = request.getfixturevalue(who)
    assert client_of(person).get(URL).status_code == 403
    assert client_of(person).get(URL + "?format=csv").status_code == 403


@pytest.mark.django_db
def test_a_customer_admin_sees_only_their_own_account(client_of, carol, activity):
    response = client_of(carol).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Training at Account A" in html
    assert "Alice Archer" in html and "Carol Chen" in html and "Sam Sponsor" in html
    assert "Bob Baker" not in html and "Dana Diaz" not in html
    assert "bob@b.example" not in html and "Account B" not in html
    # Vendor-internal figures stay internal.
    assert "100,000" not in html and "ARR" not in html and "health" not in html.lower()


@pytest.mark.django_db
def test_the_other_customer_admin_sees_their_account(client_of, dana, activity, alice):
    html = client_of(dana).get(URL).content.decode()
    assert "Training at Account B" in html
    assert "Dana Diaz" in html and "Alice Archer" not in html


# --- the figures --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_training_team_counts_people_trained_and_certified_in_12_months(account_a, activity):
    team = reports.training_team(account=account_a)
    assert team["people"] == 3
    # alice trained (carol's course is older than 12 months); carol certified.
    assert team["trained"] == {"k": 1, "n": 3, "percent": 33.3, "percent_whole": 33, "too_few": True}
    assert team["certified"] == {"k": 1, "n": 3, "percent": 33.3, "percent_whole": 33, "too_few": True}
    months = team["by_month"]
    assert len(months) == 12
    assert [m["month"] for m in months] == [p.label for p in periods.last_months(timezone.localdate(), 12)]
    assert sum(m["trained"] for m in months) == 1
    assert sum(m["certified"] for m in months) == 1
    assert set(months[0]) == {"month", "trained", "certified"}


@pytest.mark.django_db
def test_a_person_counts_once_a_month_and_leavers_are_not_counted(account_a, alice, carol):
    now = timezone.now()
    for _ in range(3):
        Interaction.objects.create(
            account=account_a, user=alice, kind="learning.course_completed", occurred_at=now
        )
    leaver = UserFactory(account=account_a, is_active=False)
    log(leaver, "learning.course_completed", 1)
    moved = UserFactory(account=AccountFactory())
    log(moved, "learning.course_completed", 1, account=account_a)  # logged while at account A
    team = reports.training_team(account=account_a)
    assert team["people"] == 2
    assert team["trained"]["k"] == 1
    assert team["by_month"][-1]["trained"] == 1


@pytest.mark.django_db
def test_an_account_without_people_has_no_data(db):
    team = reports.training_team(account=AccountFactory())
    assert team["people"] == 0
    assert team["trained"] == {"k": 0, "n": 0, "percent": None, "percent_whole": None, "too_few": True}


@pytest.mark.django_db
def test_page_shows_too_few_to_tell_for_small_teams_and_shares_for_larger_ones(
    client_of, carol, account_a, activity
):
    html = client_of(carol).get(URL).content.decode()
    assert "too few people to tell a share" in html
    for i in range(3):
        log(UserFactory(account=account_a), "learning.course_completed", 5 + i)
    html = client_of(carol).get(URL).content.decode()
    assert "67%" in html  # 4 of 6 trained
    assert "4 of 6 completed a course or path" in html


@pytest.mark.django_db
def test_shares_are_rounded_once_from_the_exact_counts(client_of, carol, account_a, alice, sam):
    # 5 of 11 trained: 45.45...%, shown as 45% (rounding 45.5 again would show 46%).
    people = [alice, carol, sam, *(UserFactory(account=account_a) for _ in range(8))]
    for person in people[:5]:
        log(person, "learning.course_completed", 3)
    team = reports.training_team(account=account_a)
    assert (team["trained"]["percent"], team["trained"]["percent_whole"]) == (45.5, 45)
    html = client_of(carol).get(URL).content.decode()
    assert '<span class="stat__value">45%</span>' in html
    assert "5 of 11 completed a course or path" in html


@pytest.mark.django_db
def test_people_list_counts_and_paginates(client_of, carol, account_a, activity):
    html = client_of(carol).get(URL).content.decode()
    assert "<svg" in html
    people = {p.email: p for p in reports.training_team_people(account=account_a)}
    assert (people["alice@a.example"].courses, people["alice@a.example"].paths) == (1, 1)
    assert people["carol@a.example"].courses == 0  # older than 12 months
    assert people["carol@a.example"].certifications == 1
    for i in range(25):
        UserFactory(account=account_a, full_name=f"Zed {i:02}")
    first = client_of(carol).get(URL).content.decode()
    assert "Page 1 of 2" in first and "Zed 21" in first and "Zed 22" not in first
    second = client_of(carol).get(URL + "?page=2").content.decode()
    assert "Zed 22" in second and "Alice Archer" not in second


@pytest.mark.django_db
def test_csv_export_has_a_header_own_people_only_and_safe_cells(client_of, carol, account_a, activity):
    UserFactory(account=account_a, full_name="=cmd|' /C calc'!A0", email="evil@a.example")
    response = client_of(carol).get(URL + "?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == reports.TEAM_CSV_HEADER
    names = [row[0] for row in rows[1:]]
    assert "'=cmd|' /C calc'!A0" in names
    assert "Bob Baker" not in names and "Dana Diaz" not in names
    alice = next(row for row in rows if row[0] == "Alice Archer")
    assert alice[2:5] == ["1", "1", "0"]
    assert alice[5] == (timezone.now() - timedelta(days=9)).date().isoformat()


@pytest.mark.django_db
def test_proficiency_coverage_is_of_the_own_account(client_of, carol, alice, bob):
    skill = SkillFactory(name="Dashboards")
    result(alice, skill, 85)
    result(bob, skill, 90)
    coverage = reports.training_team_proficiency(account=alice.account)
    assert coverage["skills"] == [
        {"skill": "Dashboards", "k": 1, "n": 2, "percent": 50.0, "percent_whole": 50, "too_few": True}
    ]
    html = client_of(carol).get(URL).content.decode()
    assert "Dashboards" in html and "1 of 2" in html


@pytest.mark.django_db
def test_proficiency_shares_are_rounded_once(client_of, carol, account_a, alice, sam):
    skill = SkillFactory(name="Dashboards")
    people = [alice, carol, sam, *(UserFactory(account=account_a) for _ in range(8))]
    for person in people[:5]:
        result(person, skill, 85)
    html = client_of(carol).get(URL).content.decode()
    assert '<td class="num">5 of 11</td>\n            <td class="num">45%</td>' in html


def csv_of(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.django_db
def test_by_month_table_exports_as_csv(client_of, carol, account_a, activity):
    client = client_of(carol)
    html = client.get(URL).content.decode()
    assert 'href="?format=csv&amp;table=months" download' in html
    response = client.get(URL + "?format=csv&table=months")
    assert 'filename="team-training-by-month.csv"' in response["Content-Disposition"]
    rows = csv_of(response)
    assert rows[0] == reports.TEAM_MONTHS_CSV_HEADER == ["month", "people_trained", "people_certified"]
    team = reports.training_team(account=account_a)
    assert rows[1:] == [[m["month"], str(m["trained"]), str(m["certified"])] for m in team["by_month"]]
    assert len(rows) == 1 + 12
    # Account A only: alice trained once, carol certified once in the 12 months.
    assert sum(int(r[1]) for r in rows[1:]) == 1 and sum(int(r[2]) for r in rows[1:]) == 1


@pytest.mark.django_db
def test_proficiency_table_exports_as_csv(client_of, carol, alice, bob, django_assert_num_queries):
    skill = SkillFactory(name="=Dashboards")
    result(alice, skill, 85)
    result(bob, skill, 90)
    client = client_of(carol)
    html = client.get(URL).content.decode()
    assert 'href="?format=csv&amp;table=proficiency" download' in html
    # session + user, the account, proficiency (5: accounts, skills, best results, people, skills)
    with django_assert_num_queries(8):
        response = client.get(URL + "?format=csv&table=proficiency")
        rows = csv_of(response)
    assert 'filename="team-proficiency.csv"' in response["Content-Disposition"]
    assert rows == [
        reports.TEAM_PROFICIENCY_CSV_HEADER,
        ["'=Dashboards", "Practitioner", "1", "2", "50.0", "yes"],  # bob, at account B, not counted
    ]
    for i in range(6):
        result(UserFactory(account=alice.account), skill, 30 + 5 * i)  # 50 and 55 reach it
        result(UserFactory(account=AccountFactory(name=f"Other {i}")), skill, 90)
    with django_assert_num_queries(8):
        rows = csv_of(client.get(URL + "?format=csv&table=proficiency"))
    assert rows[1] == ["'=Dashboards", "Practitioner", "3", "8", "37.5", "no"]


@pytest.mark.django_db
def test_without_assessments_there_is_no_proficiency_export_link(client_of, carol):
    client = client_of(carol)
    assert "table=proficiency" not in client.get(URL).content.decode()
    rows = csv_of(client.get(URL + "?format=csv&table=proficiency"))
    assert rows == [reports.TEAM_PROFICIENCY_CSV_HEADER]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["alice", "csm"])
@pytest.mark.parametrize("table", ["months", "proficiency"])
def test_table_exports_are_for_customer_admins_only(client_of, request, who, table):
    person = request.getfixturevalue(who)
    assert client_of(person).get(URL + f"?format=csv&table={table}").status_code == 403


@pytest.mark.django_db
def test_empty_states(client_of, carol):
    html = client_of(carol).get(URL).content.decode()
    assert "Nobody on your team has taken a skills assessment yet." in html


@pytest.mark.django_db
def test_query_count_is_pinned_and_does_not_grow_with_people_or_accounts(
    client_of, carol, account_a, activity, django_assert_num_queries
):
    client = client_of(carol)
    # session + user, the account, people, the 12-month counts, by month, page count + page, proficiency (4)
    with django_assert_num_queries(11):
        assert client.get(URL).status_code == 200
    for i in range(20):
        person = UserFactory(account=account_a)
        log(person, "learning.course_completed", i + 1)
        other = UserFactory(account=AccountFactory(name=f"Other {i}"))
        log(other, "learning.course_completed", i + 1)
    with django_assert_num_queries(11):
        assert client.get(URL).status_code == 200
    # session + user, the account, the people (streamed)
    with django_assert_num_queries(4):
        response = client.get(URL + "?format=csv")
        b"".join(response.streaming_content)
    # session + user, the account, people, the 12-month counts, by month
    with django_assert_num_queries(6):
        response = client.get(URL + "?format=csv&table=months")
        b"".join(response.streaming_content)
    # session + user, the account, proficiency (3: nobody assessed, so no skills to read)
    with django_assert_num_queries(6):
        response = client.get(URL + "?format=csv&table=proficiency")
        b"".join(response.streaming_content)
