"""Tests of apps/learning/selectors.py."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import JobRole, Level, Segment, Vertical
from apps.interactions.models import Interaction
from apps.learning import kinds, selectors, services, step_types
from apps.learning.models import ContentKind, ContentProgress, PathStep, RegistrationStatus, StepKind
from apps.learning.step_types import StepTarget
from tests.factories import AccountFactory, UserFactory
from tests.learning.factories import (
    ContentItemFactory,
    EnrolmentFactory,
    LearningPathFactory,
    LiveSessionFactory,
    PathStepFactory,
    RegistrationFactory,
    SkillFactory,
)


@pytest.fixture
def analyst(alice):
    """Alice as an analyst, beginner, at a mid-market bank (account A's defaults)."""
    alice.job_role, alice.level = JobRole.ANALYST, Level.BEGINNER
    alice.save(update_fields=["job_role", "level"])
    assert (alice.account.segment, alice.account.vertical) == (Segment.MID_MARKET, Vertical.BANKING)
    return alice


def finish(user, *items):
    for item in items:
        services.content_complete(user=user, content=item)


def completed_enrolment(user, path, **fields):
    return EnrolmentFactory(user=user, path=path, completed_at=timezone.now(), **fields)


# --- Library -------------------------------------------------------------------------------


def test_library_search_finds_title_words_and_skill_names(alice):
    automation = SkillFactory(name="Workflow automation")
    dashboards = ContentItemFactory(title="Dashboard design basics")
    recipes = ContentItemFactory(title="Recipes for busy teams", skills=[automation])
    ContentItemFactory(title="Something else entirely")

    assert list(selectors.content_library(user=alice, q="dashboard")) == [dashboards]
    assert list(selectors.content_library(user=alice, q="automation")) == [recipes]
    assert not selectors.content_library(user=alice, q="nothing-matches-this")


def test_library_search_lists_an_item_once_even_when_several_skills_match(alice):
    skills = [SkillFactory(name="Data import"), SkillFactory(name="Data quality")]
    item = ContentItemFactory(title="Clean imports", skills=skills)
    assert list(selectors.content_library(user=alice, q="data")) == [item]


def test_unpublished_content_is_hidden_from_learners_but_not_from_content_admins(alice, content):
    published = ContentItemFactory(title="Dashboard tips")
    draft = ContentItemFactory(title="Dashboard secrets", draft=True)
    assert set(selectors.content_library(user=alice)) == {published}
    assert set(selectors.content_library(user=alice, q="dashboard")) == {published}
    assert set(selectors.content_library(user=content)) == {published, draft}
    assert set(selectors.content_library(user=content, q="dashboard")) == {published, draft}


def test_library_filters_and_marks_what_is_done(alice):
    skill = SkillFactory(name="Access control")
    general = ContentItemFactory(kind=ContentKind.GUIDE, level=Level.INTERMEDIATE, skills=[skill])
    banking = ContentItemFactory(kind=ContentKind.VIDEO, vertical=Vertical.BANKING)
    ContentItemFactory(kind=ContentKind.VIDEO, vertical=Vertical.HEALTHCARE)
    finish(alice, general)

    assert list(selectors.content_library(user=alice, kind=ContentKind.GUIDE)) == [general]
    assert list(selectors.content_library(user=alice, level=Level.INTERMEDIATE)) == [general]
    assert set(selectors.content_library(user=alice, vertical=Vertical.BANKING)) == {general, banking}
    assert list(selectors.content_library(user=alice, skill=skill.slug)) == [general]
    done = {item.pk: item.is_done for item in selectors.content_library(user=alice)}
    assert done[general.pk] is True and done[banking.pk] is False


# --- Paths ---------------------------------------------------------------------------------


def test_path_list_puts_paths_in_progress_first_then_those_meant_for_me(analyst, content):
    in_progress = LearningPathFactory(
        title="Zeta in progress", job_roles=[JobRole.DEVELOPER], level=Level.ADVANCED
    )
    done = LearningPathFactory(title="Alpha done")
    for_analysts = LearningPathFactory(
        title="Beta for analysts", job_roles=[JobRole.ANALYST], level=Level.ADVANCED
    )
    for_banks = LearningPathFactory(title="Omega for banks", vertical=Vertical.BANKING)
    developers = LearningPathFactory(title="Gamma for developers", job_roles=[JobRole.DEVELOPER])
    hospitals = LearningPathFactory(
        title="Delta for hospitals", vertical=Vertical.HEALTHCARE, level=Level.INTERMEDIATE
    )
    enterprise = LearningPathFactory(title="Epsilon for enterprises", segments=[Segment.ENTERPRISE])
    draft = LearningPathFactory(title="Draft path", draft=True)
    for path in (in_progress, done):
        PathStepFactory(path=path)
        PathStepFactory(path=path)
    EnrolmentFactory(user=analyst, path=in_progress)
    completed_enrolment(analyst, done)

    paths = selectors.path_list(user=analyst)
    assert [p.title for p in paths] == [
        in_progress.title,
        done.title,  # completed: back among the paths for me
        for_banks.title,
        for_analysts.title,  # advanced after beginner
        enterprise.title,
        developers.title,
        hospitals.title,
    ]
    by_title = {p.title: p for p in paths}
    assert [t for t, p in by_title.items() if p.meant_for_me] == [
        done.title,
        for_banks.title,
        for_analysts.title,
    ]
    assert by_title[in_progress.title].enrolment.user == analyst
    assert by_title[for_banks.title].enrolment is None and by_title[for_banks.title].percent == 0
    assert by_title[in_progress.title].step_count == 2
    assert draft.title in {p.title for p in selectors.path_list(user=content)}


def test_path_list_counts_done_steps(analyst):
    first, second = ContentItemFactory(), ContentItemFactory()
    path = LearningPathFactory(steps=[first, second])
    services.path_enrol(user=analyst, path=path)
    finish(analyst, first)
    [listed] = selectors.path_list(user=analyst)
    assert (listed.done_count, listed.step_count, listed.percent) == (1, 2, 50)


def test_path_list_shows_a_completed_path_as_complete_despite_optional_steps(analyst):
    """The list's percentage agrees with the path page's: optional steps do not hold it back."""
    required, optional = ContentItemFactory(), ContentItemFactory()
    path = LearningPathFactory(steps=[required, optional])
    PathStep.objects.filter(content=optional).update(required=False)
    services.path_enrol(user=analyst, path=path)
    finish(analyst, required)
    [listed] = selectors.path_list(user=analyst)
    assert listed.enrolment.completed_at is not None
    assert selectors.path_progress(user=analyst, path=path).percent == 100
    assert listed.percent == 100


def test_enrolments_in_progress_count_each_required_step_once(analyst):
    """Steps and completions are two joins; neither may multiply the other's count."""
    items = [ContentItemFactory() for _ in range(4)]
    path = LearningPathFactory(steps=items)
    PathStep.objects.filter(content=items[3]).update(required=False)
    services.path_enrol(user=analyst, path=path)
    finish(analyst, items[0], items[3])
    [enrolment] = selectors.enrolments_in_progress(user=analyst)
    assert (enrolment.done_count, enrolment.step_count) == (1, 3)


def test_path_list_query_count_does_not_grow_with_paths(analyst, django_assert_num_queries):
    def add_path():
        path = LearningPathFactory(skills=[SkillFactory()], prerequisites=[LearningPathFactory()])
        PathStepFactory(path=path)
        EnrolmentFactory(user=analyst, path=path)

    add_path()
    with CaptureQueriesContext(connection) as one:
        selectors.path_list(user=analyst)
    for _ in range(9):
        add_path()
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(selectors.path_list(user=analyst)) == 20


@pytest.mark.parametrize(
    ("fields", "meant"),
    [
        ({}, True),
        ({"job_roles": [JobRole.ANALYST, JobRole.DEVELOPER]}, True),
        ({"job_roles": [JobRole.DEVELOPER]}, False),
        ({"segments": [Segment.MID_MARKET]}, True),
        ({"segments": [Segment.ENTERPRISE, Segment.SMB]}, False),
        ({"vertical": Vertical.BANKING}, True),
        ({"vertical": Vertical.RETAIL}, False),
        ({"job_roles": [JobRole.ANALYST], "segments": [Segment.SMB]}, False),
    ],
)
def test_path_matches_role_segment_and_vertical(analyst, fields, meant):
    assert selectors.path_matches(LearningPathFactory(**fields), analyst) is meant


def test_path_matches_for_people_without_an_account(content):
    assert selectors.path_matches(LearningPathFactory(vertical=Vertical.BANKING), content)
    assert not selectors.path_matches(LearningPathFactory(segments=[Segment.SMB]), content)


def test_path_progress_counts_required_steps_and_resumes_at_the_next_required_one(alice):
    first, optional, last = (
        ContentItemFactory(),
        ContentItemFactory(),
        ContentItemFactory(estimated_minutes=25),
    )
    path = LearningPathFactory(steps=[first, optional, last])
    PathStep.objects.filter(content=optional).update(required=False)

    progress = selectors.path_progress(user=alice, path=path)
    assert progress.enrolment is None and progress.percent == 0
    assert progress.next_step.step.content == first
    assert progress.minutes == 10 + 10 + 25

    services.path_enrol(user=alice, path=path)
    finish(alice, first)
    progress = selectors.path_progress(user=alice, path=path)
    assert (progress.required_done, progress.required_total, progress.percent) == (1, 2, 50)
    assert progress.next_step.step.content == last  # required before the optional one in between

    finish(alice, last)
    progress = selectors.path_progress(user=alice, path=path)
    assert progress.percent == 100 and progress.enrolment.completed_at is not None
    assert progress.next_step.step.content == optional  # only the optional step is left

    finish(alice, optional)
    assert selectors.path_progress(user=alice, path=path).next_step is None


def test_path_progress_tells_where_a_live_session_stands(alice, bob):
    session = LiveSessionFactory(capacity=1)
    path = LearningPathFactory(steps=[session])

    def hint(user):
        [view] = selectors.path_progress(user=user, path=path).steps
        return view.hint

    assert hint(alice) == "Register to attend"
    services.session_register(user=alice, session=session)
    services.session_register(user=bob, session=session)
    assert hint(alice) == "You are registered"
    assert hint(bob) == "You are on the waiting list"
    services.session_cancel_registration(user=bob, session=session)
    assert hint(bob) == "Register to attend"


def test_path_progress_describes_steps_of_registered_types(alice, monkeypatch):
    class Assessments:
        label = "Assessment"

        def choices(self):
            return []

        def describe(self, ref_ids):
            return {7: StepTarget(title="Dashboards quiz", url="/quiz/7/", minutes=15)}

    monkeypatch.setitem(step_types._PROVIDERS, StepKind.ASSESSMENT, Assessments())
    path = LearningPathFactory()
    PathStepFactory(path=path, kind=StepKind.ASSESSMENT, content=None, ref_id=7)
    PathStepFactory(path=path, kind=StepKind.ASSESSMENT, content=None, ref_id=8)
    quiz, gone = selectors.path_progress(user=alice, path=path).steps
    assert (quiz.title, quiz.url, quiz.minutes) == ("Dashboards quiz", "/quiz/7/", 15)
    assert gone.title == "Unavailable step"


def test_path_progress_lists_unfinished_prerequisites(alice, bob):
    foundations = LearningPathFactory(title="Foundations", steps=[ContentItemFactory()])
    advanced = LearningPathFactory(prerequisites=[foundations])
    assert selectors.path_progress(user=alice, path=advanced).prerequisites_missing == [foundations]

    # Someone else finishing it does not count, even once this person has started it.
    completed_enrolment(bob, foundations)
    services.path_enrol(user=alice, path=foundations)
    assert selectors.path_progress(user=alice, path=advanced).prerequisites_missing == [foundations]

    finish(alice, foundations.steps.get().content)
    assert selectors.path_progress(user=alice, path=advanced).prerequisites_missing == []


# --- Team learning ------------------------------------------------------------------------------


def active_time(user, seconds, days_ago=0):
    Interaction.objects.create(
        kind=kinds.ACTIVE_TIME.name,
        user=user,
        account=user.account,
        value=seconds,
        occurred_at=timezone.now() - timedelta(days=days_ago),
    )


def test_team_learning_figures(account_a, alice, carol, bob):
    gone = UserFactory(account=account_a, is_active=False)
    completed_enrolment(alice, LearningPathFactory())
    EnrolmentFactory(user=alice, path=LearningPathFactory())
    finish(alice, ContentItemFactory(), ContentItemFactory(), ContentItemFactory())
    finish(bob, ContentItemFactory())
    active_time(alice, 60)
    active_time(alice, 45, days_ago=29)
    active_time(alice, 60, days_ago=31)  # too old
    active_time(bob, 60)  # another account
    active_time(gone, 60)

    members = selectors.team_learning(account=account_a)
    assert [m.full_name for m in members] == ["Alice Archer", "Carol Chen"]
    figures = {
        m.email: (m.paths_enrolled, m.paths_completed, m.content_completed, m.active_seconds) for m in members
    }
    assert figures == {alice.email: (2, 1, 3, 105), carol.email: (0, 0, 0, 0)}
    assert selectors.team_learning(account=account_a, days=60)[0].active_seconds == 165


def test_team_learning_query_count_does_not_grow_with_members(account_a, django_assert_num_queries):
    def member():
        user = UserFactory(account=account_a)
        completed_enrolment(user, LearningPathFactory())
        finish(user, ContentItemFactory())
        active_time(user, 30)

    member()
    with django_assert_num_queries(3):
        assert len(selectors.team_learning(account=account_a)) == 1
    for _ in range(9):
        member()
    with django_assert_num_queries(3):
        assert len(selectors.team_learning(account=account_a)) == 10


# --- Recommendations ---------------------------------------------------------------------------


def test_finishing_a_prerequisite_recommends_the_path_it_unlocks(analyst):
    foundations = LearningPathFactory(title="Foundations")
    advanced = LearningPathFactory(
        title="Advanced analytics", level=Level.INTERMEDIATE, prerequisites=[foundations]
    )
    still_locked = LearningPathFactory(prerequisites=[LearningPathFactory()])
    completed_enrolment(analyst, foundations)

    recommended = {r.obj: r for r in selectors.recommendations(user=analyst, limit=20)}
    assert advanced in recommended
    assert "The next step after “Foundations”, which you completed" in recommended[advanced].reasons
    assert recommended[advanced].is_path
    assert still_locked not in recommended
    assert foundations not in recommended


def test_popularity_at_similar_customers_is_a_reason(analyst):
    similar = UserFactory(account=AccountFactory(segment=Segment.MID_MARKET, vertical=Vertical.BANKING))
    different = UserFactory(account=AccountFactory(segment=Segment.ENTERPRISE, vertical=Vertical.RETAIL))
    popular_path, other_path = LearningPathFactory(), LearningPathFactory()
    popular_item, old_item = ContentItemFactory(), ContentItemFactory()
    completed_enrolment(similar, popular_path)
    completed_enrolment(different, other_path)
    finish(similar, popular_item, old_item)
    ContentProgress.objects.filter(content=old_item).update(completed_at=timezone.now() - timedelta(days=200))

    recommended = {r.obj: r.reasons for r in selectors.recommendations(user=analyst, limit=20)}
    assert "Completed by 1 person at similar customers" in recommended[popular_path]
    assert "Completed by 1 person at similar customers" in recommended[popular_item]
    assert not any("similar customers" in reason for reason in recommended[other_path])
    assert not any("similar customers" in reason for reason in recommended.get(old_item, []))


def test_nothing_enrolled_or_completed_is_recommended(analyst):
    in_progress_item, done_item = ContentItemFactory(), ContentItemFactory()
    in_progress = LearningPathFactory(steps=[in_progress_item])
    done = LearningPathFactory()
    completed_enrolment(analyst, done)
    services.path_enrol(user=analyst, path=in_progress)
    finish(analyst, done_item)
    fresh = LearningPathFactory()

    recommended = [r.obj for r in selectors.recommendations(user=analyst, limit=50)]
    assert fresh in recommended
    for excluded in (in_progress, done, in_progress_item, done_item):
        assert excluded not in recommended


def test_every_recommendation_says_why(analyst):
    LearningPathFactory(level=Level.ADVANCED)  # too far above a beginner: not recommended
    for level in Level.values:
        for vertical in ("", Vertical.BANKING, Vertical.RETAIL):
            LearningPathFactory(level=level, vertical=vertical, job_roles=[JobRole.ANALYST])
            ContentItemFactory(level=level, vertical=vertical)
            ContentItemFactory(
                level=level, vertical=vertical, published_at=timezone.now() - timedelta(days=90)
            )
    recommended = selectors.recommendations(user=analyst, limit=100)
    assert recommended
    assert all(r.reasons for r in recommended)
    assert [r.score for r in recommended] == sorted((r.score for r in recommended), reverse=True)
    assert not any(r.is_path and r.obj.level == Level.ADVANCED and not r.obj.job_roles for r in recommended)
    assert len(selectors.recommendations(user=analyst, limit=3)) == 3


# --- Sessions ------------------------------------------------------------------------------------


def test_session_list_counts_seats_and_marks_mine(alice, bob, carol):
    session = LiveSessionFactory(capacity=1)
    LiveSessionFactory(past=True)
    LiveSessionFactory(cancelled=True)
    services.session_register(user=bob, session=session)
    services.session_register(user=alice, session=session)
    RegistrationFactory(session=session, user=carol, status=RegistrationStatus.CANCELLED)

    [listed] = selectors.session_list(user=alice)
    assert (listed.seats_taken, listed.waiting, listed.is_mine) == (1, 1, True)
    assert not selectors.session_list(user=carol).get().is_mine
    assert selectors.session_list(user=alice, past=True).count() == 1
    waiting = selectors.session_detail(user=alice, pk=session.pk)[1]
    assert selectors.waitlist_position(registration=waiting) == 1


# --- Digest -------------------------------------------------------------------------------------


def test_digest_items_are_new_suitable_and_closest_to_my_level(analyst):
    since = timezone.now() - timedelta(days=7)
    now = timezone.now()
    beginner_bank = ContentItemFactory(vertical=Vertical.BANKING, published_at=now - timedelta(days=3))
    beginner_newer = ContentItemFactory(published_at=now - timedelta(days=1))
    advanced = ContentItemFactory(level=Level.ADVANCED, published_at=now - timedelta(hours=1))
    intermediate = ContentItemFactory(level=Level.INTERMEDIATE, published_at=now - timedelta(days=2))
    ContentItemFactory(vertical=Vertical.HEALTHCARE, published_at=now)  # another industry
    ContentItemFactory(published_at=now - timedelta(days=8))  # before `since`
    ContentItemFactory(draft=True)
    finish(analyst, ContentItemFactory(published_at=now - timedelta(days=1)))  # already done

    items = selectors.digest_items(user=analyst, since=since)
    assert items == [beginner_newer, beginner_bank, intermediate, advanced]
    assert selectors.digest_items(user=analyst, since=since, limit=2) == [beginner_newer, beginner_bank]
