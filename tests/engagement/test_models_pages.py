"""The engagement model pages: models and their moments (the moment form's validation, moments in
words, refusing to delete one that happened), assigning models (by the rules, or one account by
hand with its history), and the account engagement page. CS managers only; fixed query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import AccountStatus, TouchModel
from apps.engagement.model_selectors import action_in_words, filters_in_words, trigger_in_words
from apps.engagement.models import (
    Action,
    Audience,
    EngagementModel,
    EventKind,
    Milestone,
    MilestoneReached,
    ModelAssignment,
    Moment,
    MomentOccurrence,
    Phase,
    Recurrence,
    Task,
    TriggerType,
)
from apps.engagement.services import model_assign
from tests.engagement.factories import EngagementModelFactory, MomentFactory
from tests.factories import AccountFactory, UserFactory

TODAY = timezone.localdate()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def occurrence(moment, account, key="k", **fields):
    return MomentOccurrence.objects.create(moment=moment, account=account, key=key, **fields)


def task_for(account, occurrence=None, *, due=TODAY, assignee=None, title="Call them", status="open"):
    return Task.objects.create(
        account=account, occurrence=occurrence, title=title, due_on=due, assignee=assignee, status=status
    )


MOMENT = {
    "name": "Kick-off meeting",
    "phase": "onboarding",
    "owner_role": "cs_manager",
    "objective": "Agree goals",
    "trigger": "contract",
    "recurrence": "",
    "offset_days": "7",
    "event": "",
    "milestone": "kickoff",
    "users": "",
    "days": "",
    "action": "task",
    "audience": "admins",
    "message_subject": "",
    "message_body": "",
    "url": "",
    "task_due_days": "7",
    "position": "",
    "is_active": "on",
}


@pytest.fixture
def model(db):
    return EngagementModelFactory(name="High touch", segments=["enterprise"], touch_models=["high"])


# --- access -----------------------------------------------------------------------------------------


def _urls(model, moment, account):
    return [
        ("get", reverse("model_list")),
        ("get", reverse("model_new")),
        ("get", reverse("model_detail", args=[model.pk])),
        ("get", reverse("model_edit", args=[model.pk])),
        ("get", reverse("moment_new", args=[model.pk])),
        ("get", reverse("moment_edit", args=[moment.pk])),
        ("post", reverse("moment_delete", args=[moment.pk])),
        ("get", reverse("account_engagement", args=[account.pk])),
        ("post", reverse("account_model_change", args=[account.pk])),
        ("post", reverse("model_list")),
    ]


class TestAccess:
    def test_anonymous_is_sent_to_login(self, client, model, account_a):
        moment = MomentFactory(model=model)
        for method, url in _urls(model, moment, account_a):
            response = getattr(client, method)(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url

    @pytest.mark.parametrize("who", ["alice", "carol", "content"])
    def test_other_roles_get_403_and_nothing_changes(self, request, client_of, who, model, account_a):
        moment = MomentFactory(model=model)
        other = EngagementModelFactory()
        client = client_of(request.getfixturevalue(who))
        for method, url in _urls(model, moment, account_a):
            data = {"model": other.pk} if method == "post" else None
            assert getattr(client, method)(url, data).status_code == 403, url
        assert Moment.objects.filter(pk=moment.pk).exists()
        assert not ModelAssignment.objects.exists()

    def test_cs_manager_reaches_every_page(self, client_of, csm, model, account_a):
        moment = MomentFactory(model=model)
        client = client_of(csm)
        for method, url in _urls(model, moment, account_a):
            if method == "get":
                assert client.get(url).status_code == 200, url

    def test_unknown_objects_are_404(self, client_of, csm, db):
        client = client_of(csm)
        for name in ["model_detail", "model_edit", "moment_new", "moment_edit", "account_engagement"]:
            assert client.get(reverse(name, args=[999999])).status_code == 404, name
        assert client.post(reverse("moment_delete", args=[999999])).status_code == 404
        assert client.post(reverse("account_model_change", args=[999999])).status_code == 404

    def test_delete_and_model_change_need_a_post(self, client_of, csm, model, account_a):
        moment = MomentFactory(model=model)
        client = client_of(csm)
        assert client.get(reverse("moment_delete", args=[moment.pk])).status_code == 405
        assert client.get(reverse("account_model_change", args=[account_a.pk])).status_code == 405


# --- moments in words -------------------------------------------------------------------------------


class TestInWords:
    @pytest.mark.parametrize(
        ("fields", "words"),
        [
            ({"trigger": TriggerType.CALENDAR, "recurrence": Recurrence.MONTHLY}, "Every month"),
            ({"trigger": TriggerType.CONTRACT, "offset_days": 7}, "7 days after the contract starts"),
            ({"trigger": TriggerType.CONTRACT, "offset_days": 1}, "1 day after the contract starts"),
            ({"trigger": TriggerType.CONTRACT, "offset_days": 0}, "When the contract starts"),
            ({"trigger": TriggerType.EVENT, "event": EventKind.DETRACTOR}, "When a detractor answers"),
            (
                {"trigger": TriggerType.EVENT, "event": EventKind.NO_SUPPORT, "params": {"days": 45}},
                "When no support case is opened for 45 days",
            ),
            (
                {
                    "trigger": TriggerType.MILESTONE,
                    "milestone": Milestone.INITIAL_TRAINING,
                    "offset_days": 60,
                },
                "If Initial training is not reached within 60 days",
            ),
            (
                {
                    "trigger": TriggerType.MILESTONE,
                    "milestone": Milestone.ACTIVATED,
                    "offset_days": 30,
                    "params": {"users": 3},
                },
                "If Activated (3 people signed in) is not reached within 30 days",
            ),
        ],
    )
    def test_trigger(self, fields, words):
        assert trigger_in_words(Moment(**fields)) == words

    def test_action(self):
        moment = Moment(action=Action.TASK, task_due_days=3, audience=Audience.SPONSOR, message_subject="Hi")
        assert action_in_words(moment) == "A task for the CS manager, due in 3 days"
        moment.action = Action.MESSAGE
        assert action_in_words(moment) == "A message to the executive sponsor (“Hi”)"
        moment.action = Action.BOTH
        assert action_in_words(moment).startswith("A task for the CS manager, due in 3 days, and a message")
        moment.action = Action.AUTO
        assert action_in_words(moment).startswith("High touch: a task") and "Low touch" in action_in_words(
            moment
        )

    def test_filters(self):
        assert filters_in_words(EngagementModel(segments=["enterprise", "smb"], touch_models=["high"])) == (
            "Enterprise, SMB · High touch"
        )
        assert filters_in_words(EngagementModel()) == "Every account"


# --- models ---------------------------------------------------------------------------------------------


class TestModelList:
    def test_lists_models_with_counts(self, client_of, csm, model, account_a, account_b):
        MomentFactory(model=model, phase=Phase.ONBOARDING)
        MomentFactory(model=model, phase=Phase.ONGOING)
        MomentFactory(model=model, phase=Phase.ONGOING)
        model_assign(account=account_a, model=model)
        model_assign(account=account_b, model=model)
        account_b.status = AccountStatus.CHURNED
        account_b.save()
        EngagementModelFactory(name="Dormant", is_active=False)
        response = client_of(csm).get(reverse("model_list"))
        rows = {m.name: m for m in response.context["models"]}
        high = rows["High touch"]
        assert (high.onboarding_moments, high.ongoing_moments, high.accounts_following) == (1, 2, 1)
        assert high.filters_text == "Enterprise · High touch"
        assert list(rows) == ["High touch", "Dormant"]  # active first
        assert b"Inactive" in response.content and b"Assign to matching accounts now" in response.content

    def test_query_count_does_not_grow_with_models(self, client_of, csm, model):
        client = client_of(csm)
        client.get(reverse("model_list"))
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("model_list"))
        for _ in range(8):
            extra = EngagementModelFactory()
            MomentFactory.create_batch(3, model=extra)
            model_assign(account=AccountFactory(), model=extra)
        with CaptureQueriesContext(connection) as many:
            client.get(reverse("model_list"))
        # session, user, models with their counts, accounts without one, touches (2)
        assert len(many) == len(few) == 6

    def test_one_to_one_and_one_to_many_touches_by_touch_model(self, client_of, csm, account_a, alice):
        from apps.interactions.services import record

        account_a.touch_model = TouchModel.HIGH
        account_a.save()
        record(kind="engagement.call", account=account_a)
        record(kind="engagement.qbr", account=account_a)
        record(kind="engagement.message", user=alice)
        record(kind="engagement.call", account=account_a, occurred_at=timezone.now() - timedelta(days=91))
        rows = {r["label"]: r for r in client_of(csm).get(reverse("model_list")).context["touches"]}
        high = rows["High touch"]
        assert (high["accounts"], high["one_to_one"], high["one_to_many"]) == (1, 2, 1)
        assert high["one_to_one_per_account"] == 2.0
        assert rows["Low touch"]["one_to_one_per_account"] is None  # no low-touch accounts: no data

    def test_empty_state(self, client_of, csm):
        response = client_of(csm).get(reverse("model_list"))
        assert b"No engagement models yet" in response.content

    def test_assign_now_assigns_accounts_that_fit(self, client_of, csm, db):
        EngagementModelFactory(name="High touch", touch_models=["high"])
        EngagementModelFactory(name="Low touch", touch_models=["low"])
        AccountFactory(touch_model=TouchModel.HIGH)
        AccountFactory(touch_model=TouchModel.LOW)
        AccountFactory(touch_model=TouchModel.LOW, status=AccountStatus.CHURNED)
        response = client_of(csm).post(reverse("model_list"), follow=True)
        assert "2 accounts assigned to a model." in messages_of(response)
        assert ModelAssignment.objects.count() == 2
        assert response.context["unassigned"] == 0
        again = client_of(csm).post(reverse("model_list"), follow=True)
        assert "No account was waiting for a model that fits it." in messages_of(again)
        assert ModelAssignment.objects.count() == 2


class TestModelForm:
    def test_create(self, client_of, csm):
        response = client_of(csm).post(
            reverse("model_new"),
            {
                "name": " Mid touch ",
                "description": "For growing customers",
                "segments": ["mid_market", "smb"],
                "is_active": "on",
            },
        )
        model = EngagementModel.objects.get()
        assert response.status_code == 302 and response["Location"] == reverse(
            "model_detail", args=[model.pk]
        )
        assert (model.name, model.segments, model.touch_models, model.created_by) == (
            "Mid touch",
            ["mid_market", "smb"],
            [],
            csm,
        )

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"name": ""}, "name"),
            ({"name": "   "}, "name"),
            ({"name": "X", "segments": ["galactic"]}, "segments"),
            ({"name": "X", "touch_models": ["medium"]}, "touch_models"),
            ({"name": "x" * 121}, "name"),
        ],
    )
    def test_bad_input_is_refused_and_nothing_is_written(self, client_of, csm, data, field):
        response = client_of(csm).post(reverse("model_new"), data)
        assert response.status_code == 400 and field in response.context["form"].errors
        assert not EngagementModel.objects.exists()

    def test_names_are_unique(self, client_of, csm, model):
        response = client_of(csm).post(reverse("model_new"), {"name": "High touch"})
        assert response.status_code == 400 and "name" in response.context["form"].errors

    def test_edit(self, client_of, csm, model):
        response = client_of(csm).post(
            reverse("model_edit", args=[model.pk]), {"name": "High touch", "touch_models": ["high"]}
        )
        model.refresh_from_db()
        assert response.status_code == 302
        assert (model.segments, model.is_active) == ([], False)


class TestModelDetail:
    def test_moments_grouped_by_phase_onboarding_first_in_position_order(self, client_of, csm, model):
        MomentFactory(
            model=model,
            name="Monthly review",
            phase=Phase.ONGOING,
            position=0,
            trigger=TriggerType.CALENDAR,
            recurrence=Recurrence.MONTHLY,
        )
        MomentFactory(
            model=model,
            name="Training check",
            phase=Phase.ONBOARDING,
            position=2,
            trigger=TriggerType.MILESTONE,
            milestone=Milestone.INITIAL_TRAINING,
            offset_days=60,
        )
        MomentFactory(
            model=model,
            name="Kick-off",
            phase=Phase.ONBOARDING,
            position=1,
            trigger=TriggerType.CONTRACT,
            offset_days=7,
            milestone=Milestone.KICKOFF,
            action=Action.TASK,
        )
        response = client_of(csm).get(reverse("model_detail", args=[model.pk]))
        phases = response.context["phases"]
        assert [p["phase"] for p in phases] == ["onboarding", "ongoing"]
        assert [m.name for m in phases[0]["moments"]] == ["Kick-off", "Training check"]
        content = response.content.decode()
        assert "7 days after the contract starts" in content and "Every month" in content
        assert "If Initial training is not reached within 60 days" in content
        assert content.index("Kick-off") < content.index("Training check") < content.index("Monthly review")

    def test_a_moment_that_happened_offers_no_delete(self, client_of, csm, model, account_a):
        happened = MomentFactory(model=model, name="Happened")
        fresh = MomentFactory(model=model, name="Fresh")
        occurrence(happened, account_a)
        content = client_of(csm).get(reverse("model_detail", args=[model.pk])).content.decode()
        assert reverse("moment_delete", args=[fresh.pk]) in content
        assert reverse("moment_delete", args=[happened.pk]) not in content
        assert 'data-confirm="Delete the moment “Fresh”?"' in content

    def test_query_count_does_not_grow_with_moments(self, client_of, csm, model, account_a):
        client = client_of(csm)
        MomentFactory(model=model)
        client.get(reverse("model_detail", args=[model.pk]))
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("model_detail", args=[model.pk]))
        for n in range(10):
            moment = MomentFactory(model=model, phase=Phase.ONBOARDING if n % 2 else Phase.ONGOING)
            occurrence(moment, account_a)
            model_assign(account=AccountFactory(), model=model)
        with CaptureQueriesContext(connection) as many:
            client.get(reverse("model_detail", args=[model.pk]))
        assert len(many) == len(few)


# --- moments ----------------------------------------------------------------------------------------------


class TestMomentForm:
    def post(self, client, model, **changes):
        return client.post(reverse("moment_new", args=[model.pk]), {**MOMENT, **changes})

    def test_create_a_contract_moment_at_the_end(self, client_of, csm, model):
        MomentFactory(model=model, position=4)
        response = self.post(client_of(csm), model, recurrence="monthly", event="detractor")
        moment = Moment.objects.get(name="Kick-off meeting")
        assert response.status_code == 302 and response["Location"] == reverse(
            "model_detail", args=[model.pk]
        )
        assert (moment.trigger, moment.offset_days, moment.milestone, moment.position) == (
            "contract",
            7,
            "kickoff",
            5,
        )
        assert (moment.recurrence, moment.event, moment.params) == (
            "",
            "",
            {},
        )  # fields of other triggers dropped

    def test_create_an_activation_window_with_its_params(self, client_of, csm, model):
        self.post(
            client_of(csm),
            model,
            trigger="milestone",
            milestone="activated",
            offset_days="30",
            users="3",
            action="auto",
            message_subject="Bring your team",
            message_body="Invite two colleagues.",
            url="/learning/",
        )
        moment = Moment.objects.get()
        assert moment.params == {"users": 3, "url": "/learning/"}
        assert trigger_in_words(moment) == "If Activated (3 people signed in) is not reached within 30 days"

    def test_create_a_quiet_support_event(self, client_of, csm, model):
        self.post(
            client_of(csm),
            model,
            trigger="event",
            event="no_support_cases",
            days="60",
            milestone="",
            offset_days="",
        )
        moment = Moment.objects.get()
        assert (moment.params, moment.offset_days, moment.milestone) == ({"days": 60}, 0, "")

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"trigger": "calendar", "milestone": ""}, "recurrence"),
            ({"trigger": "contract", "offset_days": ""}, "offset_days"),
            ({"trigger": "event", "milestone": ""}, "event"),
            ({"trigger": "event", "event": "detractor"}, "milestone"),
            ({"trigger": "event", "event": "no_support_cases", "milestone": ""}, "days"),
            ({"trigger": "milestone", "milestone": ""}, "milestone"),
            ({"trigger": "milestone", "offset_days": "0"}, "offset_days"),
            ({"trigger": "milestone", "offset_days": ""}, "offset_days"),
            ({"trigger": "milestone", "milestone": "activated", "offset_days": "30"}, "users"),
            ({"trigger": "milestone", "milestone": "activated", "offset_days": "30", "users": "0"}, "users"),
            (
                {"trigger": "milestone", "milestone": "activated", "offset_days": "30", "users": "1001"},
                "users",
            ),
            ({"trigger": "teleport"}, "trigger"),
            ({"offset_days": "-1"}, "offset_days"),
            ({"offset_days": "lots"}, "offset_days"),
            ({"action": "message"}, "message_subject"),
            ({"action": "both", "message_subject": "Hi"}, "message_body"),
            ({"action": "auto", "message_subject": " ", "message_body": "x"}, "message_subject"),
            ({"url": "javascript:alert(1)"}, "url"),
            ({"url": "http://example.com/"}, "url"),
            ({"url": "//evil.example/"}, "url"),
            ({"objective": ""}, "objective"),
            ({"name": ""}, "name"),
            ({"task_due_days": "400"}, "task_due_days"),
            ({"phase": "later"}, "phase"),
        ],
    )
    def test_combinations_that_do_not_make_sense_are_refused(self, client_of, csm, model, changes, field):
        response = self.post(client_of(csm), model, **changes)
        assert response.status_code == 400
        assert field in response.context["form"].errors, response.context["form"].errors
        assert not Moment.objects.exists()

    def test_a_message_moment_with_an_https_link(self, client_of, csm, model):
        response = self.post(
            client_of(csm),
            model,
            action="message",
            message_subject="Welcome",
            message_body="Hello",
            url="https://docs.example.com/start",
        )
        assert response.status_code == 302
        assert Moment.objects.get().params == {"url": "https://docs.example.com/start"}

    def test_the_page_explains_errors(self, client_of, csm, model):
        content = self.post(client_of(csm), model, action="message").content.decode()
        assert "This moment can send a message: give it a subject." in content

    def test_edit_keeps_its_position_and_rewrites_params(self, client_of, csm, model):
        moment = MomentFactory(
            model=model,
            position=3,
            trigger=TriggerType.MILESTONE,
            milestone=Milestone.ACTIVATED,
            offset_days=30,
            params={"users": 3, "stale": True},
        )
        client = client_of(csm)
        form = client.get(reverse("moment_edit", args=[moment.pk])).context["form"]
        assert form.initial["users"] == 3
        response = client.post(
            reverse("moment_edit", args=[moment.pk]),
            {
                **MOMENT,
                "trigger": "milestone",
                "milestone": "activated",
                "offset_days": "45",
                "users": "5",
                "position": "",
            },
        )
        moment.refresh_from_db()
        assert response.status_code == 302
        assert (moment.offset_days, moment.params, moment.position) == (45, {"users": 5}, 3)


class TestMomentDelete:
    def test_delete_a_moment_that_never_happened(self, client_of, csm, model):
        moment = MomentFactory(model=model, name="Spare")
        response = client_of(csm).post(reverse("moment_delete", args=[moment.pk]), follow=True)
        assert "Moment “Spare” deleted." in messages_of(response)
        assert not Moment.objects.filter(pk=moment.pk).exists()

    def test_a_moment_that_happened_is_kept_and_the_user_told_to_deactivate_it(
        self, client_of, csm, model, account_a
    ):
        moment = MomentFactory(model=model, name="Review")
        task_for(account_a, occurrence(moment, account_a))
        response = client_of(csm).post(reverse("moment_delete", args=[moment.pk]), follow=True)
        assert response.redirect_chain[-1][0] == reverse("model_detail", args=[model.pk])
        assert messages_of(response) == [
            "“Review” already happened 1 time, so it is kept with its history. To stop it, edit it and "
            "untick Active."
        ]
        assert Moment.objects.filter(pk=moment.pk).exists() and Task.objects.count() == 1


# --- assignment and the account page ---------------------------------------------------------------------


class TestAccountModelChange:
    def test_change_keeps_history(self, client_of, csm, model, account_a):
        low = EngagementModelFactory(name="Low touch")
        model_assign(account=account_a, model=low)
        response = client_of(csm).post(
            reverse("account_model_change", args=[account_a.pk]), {"model": model.pk}, follow=True
        )
        assert "Account A now follows “High touch”." in messages_of(response)
        history = list(ModelAssignment.objects.filter(account=account_a).order_by("started_at"))
        assert [(a.model.name, a.ended_at is None, a.assigned_by) for a in history] == [
            ("Low touch", False, None),
            ("High touch", True, csm),
        ]
        content = response.content.decode()
        assert "History (2)" in content and "The rules" in content and "chosen by Cas Manager" in content

    @pytest.mark.parametrize("value", ["", "999999", "abc"])
    def test_bad_choice_shows_the_page_with_an_error_and_changes_nothing(
        self, client_of, csm, model, account_a, value
    ):
        model_assign(account=account_a, model=model)
        response = client_of(csm).post(reverse("account_model_change", args=[account_a.pk]), {"model": value})
        assert response.status_code == 400
        assert response.context["change_form"].errors["model"]
        assert b"<html" in response.content and b"Onboarding momentum" in response.content
        assert ModelAssignment.objects.get(account=account_a).model == model

    def test_an_inactive_model_cannot_be_chosen(self, client_of, csm, model, account_a):
        dormant = EngagementModelFactory(is_active=False)
        response = client_of(csm).post(
            reverse("account_model_change", args=[account_a.pk]), {"model": dormant.pk}
        )
        assert response.status_code == 400 and "no longer active" in response.content.decode()
        assert not ModelAssignment.objects.exists()


@pytest.fixture
def engaged(model, account_a, carol):
    """Account A following the model, with a kick-off reached, a moment with a task, a message
    moment and a missed milestone."""
    owner = UserFactory(full_name="Olga Owner", cs_manager=True)
    account_a.cs_manager = owner
    account_a.contract_start = TODAY - timedelta(days=50)
    account_a.save()
    model_assign(account=account_a, model=model)
    kickoff = MomentFactory(
        model=model,
        name="Kick-off meeting",
        trigger=TriggerType.CONTRACT,
        offset_days=7,
        milestone=Milestone.KICKOFF,
        action=Action.TASK,
        phase=Phase.ONBOARDING,
    )
    watch = MomentFactory(
        model=model,
        name="Activation check",
        trigger=TriggerType.MILESTONE,
        offset_days=30,
        milestone=Milestone.ACTIVATED,
        phase=Phase.ONBOARDING,
    )
    release = MomentFactory(model=model, name="Product release", action=Action.MESSAGE)
    done = occurrence(
        kickoff, account_a, "contract", status="done", trigger={"text": "7 days after the contract"}
    )
    MilestoneReached.objects.create(
        account=account_a, milestone=Milestone.KICKOFF, reached_at=timezone.now() - timedelta(days=40)
    )
    task_for(account_a, done, assignee=owner, title="Kick-off", status="done")
    missed = occurrence(watch, account_a, "missed", trigger={"text": "Activated not reached", "url": "/why/"})
    overdue = task_for(
        account_a, missed, due=TODAY - timedelta(days=2), assignee=owner, title="Get them active"
    )
    occurrence(release, account_a, "update-1", messaged_at=timezone.now(), trigger={"text": "Released: v2"})
    return {"owner": owner, "overdue": overdue, "missed": missed}


class TestAccountEngagement:
    def test_the_page(self, client_of, csm, engaged, account_a):
        response = client_of(csm).get(reverse("account_engagement", args=[account_a.pk]))
        content = response.content.decode()
        assert response.status_code == 200
        assert "Mid-market · High touch · CS owner: Olga Owner" in content
        assert reverse("account_360", args=[account_a.pk]) in content
        assert reverse("plan_detail", args=[account_a.pk]) in content
        detail = reverse("model_detail", args=[response.context["current"].model_id])
        assert f'Follows <a href="{detail}">High touch</a>' in content
        rows = response.context["momentum"].milestones
        assert [r.label for r in rows][:2] == ["Kick-off", "Activated"]
        assert rows[0].days_since_previous == 10 and rows[1].overdue
        assert "Overdue: Activated." in content
        assert response.context["timeline"][0].moment.name == "Product release"
        assert '<a href="/why/">Activated not reached</a>' in content
        assert reverse("task_detail", args=[engaged["overdue"].pk]) in content
        assert [t.title for t in response.context["tasks"]] == ["Get them active"]
        assert "Sent" in content

    def test_an_account_without_a_model(self, client_of, csm, account_b):
        response = client_of(csm).get(reverse("account_engagement", args=[account_b.pk]))
        content = response.content.decode()
        assert "Follows no model yet" in content and "No open task for this account." in content
        assert "not yet" in content

    def test_query_count_does_not_grow_with_tasks_moments_or_history(
        self, client_of, csm, engaged, account_a, model
    ):
        client = client_of(csm)
        url = reverse("account_engagement", args=[account_a.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        other = EngagementModelFactory()
        for n in range(12):
            moment = MomentFactory(model=model)
            task_for(account_a, occurrence(moment, account_a, f"k{n}"), assignee=engaged["owner"])
            task_for(account_a, title=f"By hand {n}")
            model_assign(account=account_a, model=other if n % 2 else model)
        with CaptureQueriesContext(connection) as many:
            client.get(url)
        # session, user, account, model history, models to choose, milestones, escalations,
        # expected dates, timeline, open tasks
        assert len(many) == len(few) == 10, [q["sql"] for q in many.captured_queries]

    def test_timeline_keeps_the_latest_30(self, client_of, csm, engaged, account_a, model):
        moment = MomentFactory(model=model)
        for n in range(35):
            occurrence(moment, account_a, f"p{n}", happened_at=timezone.now() - timedelta(days=n + 1))
        response = client_of(csm).get(reverse("account_engagement", args=[account_a.pk]))
        assert len(response.context["timeline"]) == 30
        assert b"The latest 30 moments." in response.content
