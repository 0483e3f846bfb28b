"""The health score settings pages: the rules in force per segment with their version history, the
editor that saves a new version (never editing an old one), its validation, and the recompute
button. CS managers only."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import constants, get_messages
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Segment
from apps.analytics.models import HealthConfig, HealthSnapshot
from apps.analytics.services import health_config_current, health_config_save, health_recompute
from tests.factories import AccountFactory

TODAY = timezone.localdate()
SETTINGS = reverse("health_settings")


def edit_url(segment="all"):
    return reverse("health_settings_edit", args=[segment])


def form_data(config=None, *, rules=None, extra_rule=None, delete=(), empty_extra=True, **overrides) -> dict:
    """The editor's POST data for `config` (default: the version in force), as a browser would send
    it: every rule of the formset, one empty extra form (or `extra_rule`; none when `empty_extra`
    is False, as with 20 rules), and the settings."""
    config = config or health_config_current()
    rules = config.rules if rules is None else rules
    data = {}
    forms = [*rules, extra_rule] if extra_rule else [*rules, {}] if empty_extra else list(rules)
    for i, rule in enumerate(forms):
        prefix = f"rules-{i}-"
        data[prefix + "key"] = rule.get("key", "")
        data[prefix + "label"] = rule.get("label", "")
        data[prefix + "kinds"] = list(rule.get("kinds", []))
        data[prefix + "window_days"] = str(rule.get("window_days", ""))
        data[prefix + "weight"] = str(rule.get("weight", ""))
        data[prefix + "fix"] = rule.get("fix", "")
        if i in delete:
            data[prefix + "DELETE"] = "on"
    data.update(
        {
            "rules-TOTAL_FORMS": str(len(forms)),
            "rules-INITIAL_FORMS": str(len(rules)),
            "rules-MIN_NUM_FORMS": "0",
            "rules-MAX_NUM_FORMS": "20",
            "red_below": str(config.red_below),
            "green_from": str(config.green_from),
            "engaged_min_rules": str(config.engaged_min_rules or ""),
            "drop_percent": str(round(config.drop_threshold * 100, 1)),
            "support_ticket_penalty": str(config.support_ticket_penalty),
            "support_urgent_penalty": str(config.support_urgent_penalty),
            "core_kinds": list(config.core_kinds),
            "advanced_min_features": str(config.advanced_min_features),
            "note": "Tighter bands after the Q3 review",
            **{f"weight_{name}": str(weight) for name, weight in config.weights.items()},
        }
    )
    data.update(
        {key: str(value) if isinstance(value, int | float) else value for key, value in overrides.items()}
    )
    return data


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- who may see and change the rules -----------------------------------------------------------


class TestAccess:
    @pytest.mark.parametrize("url", [SETTINGS, edit_url(), edit_url("smb")])
    def test_anonymous_is_sent_to_sign_in(self, client, db, url):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))

    @pytest.mark.parametrize("url", [SETTINGS, edit_url(), edit_url("smb")])
    @pytest.mark.parametrize("who", ["alice", "carol", "sam", "content"])
    def test_others_are_refused(self, request, client_of, who, url):
        assert client_of(request.getfixturevalue(who)).get(url).status_code == 403

    @pytest.mark.parametrize("who", ["alice", "carol", "content"])
    def test_others_cannot_save_or_recompute(self, request, client_of, who, account_a):
        client = client_of(request.getfixturevalue(who))
        data = form_data(red_below=10)
        assert client.post(edit_url(), data).status_code == 403
        assert client.post(SETTINGS).status_code == 403
        assert HealthConfig.objects.count() == 1
        assert not HealthSnapshot.objects.exists()

    def test_unknown_segment(self, client_of, csm):
        client = client_of(csm)
        assert client.get(edit_url("galactic")).status_code == 404
        assert client.post(edit_url("galactic"), form_data()).status_code == 404


# --- the settings page --------------------------------------------------------------------------


class TestSettingsPage:
    def test_the_defaults_in_words(self, client_of, csm):
        response = client_of(csm).get(SETTINGS)
        assert response.status_code == 200
        text = response.text
        assert "Viewed content in the last 30 days" in text
        assert "Viewed learning content" in text and "Read a product update" in text  # kind labels
        assert "learning.content_viewed" not in text
        assert "meets all 3 rules" in text
        assert "below 40" in text and "40 to under 70" in text and "from 70" in text
        assert "more than 25%" in text
        assert text.count("Uses the All segments rules") == 3
        assert 'href="/analytics/settings/enterprise/"' in text

    def test_segment_rules_and_version_history(self, client_of, csm, account_a):
        health_recompute(day=TODAY - timedelta(days=1))
        health_recompute(day=TODAY)
        default = health_config_current()
        health_config_save(
            by=csm,
            segment=Segment.SMB,
            rules=default.rules[:2],
            weights=default.weights,
            red_below=30,
            green_from=60,
            engaged_min_rules=1,
            note="SMB customers rarely vote",
        )
        response = client_of(csm).get(SETTINGS)
        sections = {s["value"]: s for s in response.context["sections"]}
        assert sections[""]["own"] and sections[""]["history"][0].snapshot_count == 2
        assert sections[Segment.SMB]["own"] and sections[Segment.SMB]["config"].version == 1
        assert sections[Segment.SMB]["history"][0].snapshot_count == 0
        assert not sections[Segment.ENTERPRISE]["own"]
        assert "SMB customers rarely vote" in response.text
        assert "meets 1 of the 2 rules" in response.text
        assert csm.full_name in response.text
        assert response.text.count("Uses the All segments rules") == 2

    def test_a_fresh_install_shows_version_one_without_snapshots(self, client_of, csm):
        response = client_of(csm).get(SETTINGS)
        assert "No snapshots yet" in response.text
        assert HealthConfig.objects.get().version == 1

    def _count(self, client) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(SETTINGS).status_code == 200
        return len(captured)

    def test_query_count_does_not_grow_with_accounts_or_versions(self, client_of, csm):
        client = client_of(csm)
        for _ in range(2):
            AccountFactory()
        health_recompute(day=TODAY)
        small = self._count(client)
        for _ in range(10):
            AccountFactory(segment=Segment.ENTERPRISE)
        for segment in ("all", Segment.ENTERPRISE, Segment.SMB):
            assert client.post(edit_url(segment), form_data()).status_code == 302
        assert HealthConfig.objects.count() == 4
        health_recompute(day=TODAY - timedelta(days=1))
        health_recompute(day=TODAY)
        large = self._count(client)
        # session, user, default config, every version, the snapshot counts of the versions shown,
        # latest snapshot day
        assert small == large == 6

    def test_snapshots_are_counted_for_the_versions_shown_only(self, client_of, csm, account_a):
        health_recompute(day=TODAY - timedelta(days=1))
        first = health_config_current()
        client = client_of(csm)
        for red_below in range(10, 22):  # versions 2 to 13: only the newest 10 are shown
            assert client.post(edit_url(), form_data(red_below=red_below)).status_code == 302
        health_recompute(day=TODAY)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(SETTINGS)
        (section,) = [s for s in response.context["sections"] if s["value"] == ""]
        assert [v.version for v in section["history"]] == list(range(13, 3, -1))
        assert section["older"] == 3
        assert [v.snapshot_count for v in section["history"][:2]] == [1, 0]
        sql = [query["sql"] for query in captured]
        # No query joins the configurations to every snapshot ever written ...
        assert not any("healthconfig" in q and "JOIN" in q and "healthsnapshot" in q for q in sql)
        # ... and the one that counts snapshots asks about the 10 versions shown, not version 1.
        (counting,) = [q for q in sql if "healthsnapshot" in q and "GROUP BY" in q]
        asked = {int(pk) for pk in re.search(r"IN \(([^)]*)\)", counting).group(1).split(",")}
        assert asked == {
            version.pk for section in response.context["sections"] for version in section["history"]
        }
        assert first.pk not in asked
        assert HealthSnapshot.objects.filter(config=first).count() == 1


# --- editing ------------------------------------------------------------------------------------


class TestEditor:
    def test_prefilled_from_the_version_in_force(self, client_of, csm):
        response = client_of(csm).get(edit_url())
        assert response.status_code == 200
        formset, form = response.context["formset"], response.context["form"]
        assert [f.initial["key"] for f in formset.initial_forms] == ["content", "updates", "ideas"]
        assert len(formset.forms) == 4  # and one empty form to add a rule
        assert form.initial["red_below"] == 40 and form.initial["drop_percent"] == 25
        assert "Starting from version 1" in response.text

    def test_a_segment_without_rules_starts_from_the_default(self, client_of, csm):
        response = client_of(csm).get(edit_url("enterprise"))
        assert "Enterprise uses the All segments rules (version 1) today" in response.text
        assert len(response.context["formset"].initial_forms) == 3

    def test_save_writes_the_next_version(self, client_of, csm):
        before = health_config_current()
        data = form_data(
            red_below=35,
            green_from=75,
            drop_percent="30",
            engaged_min_rules="2",
            weight_support="0",
            delete={2},
            extra_rule={
                "label": "Attended a live session",
                "kinds": ["learning.session_attended"],
                "window_days": 90,
                "weight": 2,
                "fix": "Invite them to the next session.",
            },
        )
        response = client_of(csm).post(edit_url(), data)
        assert response.status_code == 302 and response.url == SETTINGS
        config = health_config_current()
        assert config.version == 2 and config.created_by == csm
        assert config.note == "Tighter bands after the Q3 review"
        assert (config.red_below, config.green_from, config.engaged_min_rules) == (35, 75, 2)
        assert config.drop_threshold == pytest.approx(0.30)  # a percent in the form, a share stored
        assert config.weights["support"] == 0 and config.weights["adoption"] == 1
        assert [rule["key"] for rule in config.rules] == ["content", "updates", "attended_a_live_session"]
        assert config.rules[2]["window_days"] == 90 and config.rules[2]["weight"] == 2
        # version 1 is untouched
        before.refresh_from_db()
        assert before.version == 1 and before.red_below == 40 and len(before.rules) == 3
        (message,) = messages_of(response)
        assert "Saved version 2" in message and "Scores change on the next recompute" in message

    def test_blank_engaged_means_all_rules(self, client_of, csm):
        client_of(csm).post(edit_url(), form_data(engaged_min_rules=""))
        assert health_config_current().engaged_min_rules is None

    def test_a_segment_gets_its_own_first_version(self, client_of, csm):
        response = client_of(csm).post(edit_url("smb"), form_data(red_below=20))
        assert response.status_code == 302
        smb = health_config_current(segment=Segment.SMB)
        assert (smb.segment, smb.version, smb.red_below) == (Segment.SMB, 1, 20)
        assert health_config_current().red_below == 40

    def test_old_snapshots_keep_their_version(self, client_of, csm, account_a):
        yesterday = TODAY - timedelta(days=1)
        health_recompute(day=yesterday)
        client_of(csm).post(edit_url(), form_data(red_below=10, green_from=20))
        health_recompute(day=TODAY)
        old = HealthSnapshot.objects.select_related("config").get(account=account_a, date=yesterday)
        new = HealthSnapshot.objects.select_related("config").get(account=account_a, date=TODAY)
        assert old.config.version == 1 and new.config.version == 2

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"red_below": 80, "green_from": 50}, "red ends at or below where green starts"),
            ({"delete": {0, 1, 2}}, "Keep at least one engagement rule."),
            (
                {
                    "weight_adoption": 0,
                    "weight_engagement": 0,
                    "weight_proficiency": 0,
                    "weight_sentiment": 0,
                    "weight_support": 0,
                },
                "Give at least one component a weight.",
            ),
            ({"engaged_min_rules": 4}, "An engaged account meets 1 to 3 rules."),
        ],
    )
    def test_rules_that_tie_values_together_are_form_errors(self, client_of, csm, overrides, message):
        health_config_current()
        response = client_of(csm).post(edit_url(), form_data(**overrides))
        assert response.status_code == 400
        assert message in " ".join(response.context["form"].non_field_errors())
        assert message in response.text
        assert HealthConfig.objects.count() == 1

    def test_an_unknown_kind_is_a_field_error(self, client_of, csm):
        config = health_config_current()
        rules = [dict(config.rules[0], kinds=["learning.content_viewed", "made.up"]), *config.rules[1:]]
        response = client_of(csm).post(edit_url(), form_data(rules=rules))
        assert response.status_code == 400
        errors = response.context["formset"].forms[0].errors
        assert "made.up is not one of the available choices" in errors["kinds"][0]
        assert HealthConfig.objects.count() == 1

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("red_below", "-1"),
            ("green_from", "101"),
            ("drop_percent", "100"),
            ("weight_adoption", "lots"),
            ("note", ""),
            ("advanced_min_features", "0"),
        ],
    )
    def test_bad_values_are_field_errors(self, client_of, csm, field, value):
        health_config_current()
        response = client_of(csm).post(edit_url(), form_data(**{field: value}))
        assert response.status_code == 400
        assert field in response.context["form"].errors
        assert HealthConfig.objects.count() == 1

    @pytest.mark.parametrize(
        ("change", "field"),
        [({"kinds": []}, "kinds"), ({"window_days": 0}, "window_days"), ({"label": ""}, "label")],
    )
    def test_bad_rules_are_field_errors(self, client_of, csm, change, field):
        config = health_config_current()
        rules = [dict(config.rules[0], **change), *config.rules[1:]]
        response = client_of(csm).post(edit_url(), form_data(rules=rules))
        assert response.status_code == 400
        assert field in response.context["formset"].forms[0].errors
        assert HealthConfig.objects.count() == 1

    def test_a_tampered_rule_key_is_refused(self, client_of, csm):
        config = health_config_current()
        rules = [dict(config.rules[0], key="bad key; --"), *config.rules[1:]]
        response = client_of(csm).post(edit_url(), form_data(rules=rules))
        assert response.status_code == 400
        assert HealthConfig.objects.count() == 1

    @staticmethod
    def _rules(count: int) -> list[dict]:
        return [
            {
                "key": f"rule_{i}",
                "label": f"Rule {i}",
                "kinds": ["learning.content_viewed"],
                "window_days": 30,
                "weight": 1,
            }
            for i in range(count)
        ]

    def test_more_than_20_rules_is_a_clear_error_and_saves_nothing(self, client_of, csm):
        health_config_current()
        response = client_of(csm).post(edit_url(), form_data(rules=self._rules(21)))
        assert response.status_code == 400
        message = "Keep to at most 20 engagement rules: remove some, then save again. Nothing was saved."
        assert list(response.context["formset"].non_form_errors()) == [message]
        assert message in response.text
        assert HealthConfig.objects.count() == 1

    def test_deleted_rules_do_not_count_towards_the_20(self, client_of, csm):
        health_config_current()
        data = form_data(rules=self._rules(22), delete={20, 21}, empty_extra=False)
        response = client_of(csm).post(edit_url(), data)
        assert response.status_code == 302
        assert len(health_config_current().rules) == 20

    def test_a_tampered_form_count_builds_a_bounded_formset(self, client_of, csm):
        health_config_current()
        data = form_data(**{"rules-TOTAL_FORMS": "100000"})
        response = client_of(csm).post(edit_url(), data)
        assert response.status_code == 400
        formset = response.context["formset"]
        assert len(formset.forms) <= 30 and formset.non_form_errors()
        assert HealthConfig.objects.count() == 1

    def test_twenty_rules_save_and_reopen_without_an_extra_form(self, client_of, csm):
        health_config_current()
        client = client_of(csm)
        response = client.post(edit_url(), form_data(rules=self._rules(20), empty_extra=False))
        assert response.status_code == 302
        assert len(health_config_current().rules) == 20
        page = client.get(edit_url())
        assert len(page.context["formset"].forms) == 20 and "Add a rule" not in page.text

    def test_query_counts(self, client_of, csm, django_assert_num_queries):
        client = client_of(csm)
        health_config_current()
        # session, user, the version in force
        with django_assert_num_queries(3):
            assert client.get(edit_url()).status_code == 200
        # ... and the segment's own rules not found, then the default
        with django_assert_num_queries(4):
            assert client.get(edit_url("smb")).status_code == 200


# --- recompute now ------------------------------------------------------------------------------


class TestRecompute:
    def test_the_button_recomputes_today(self, client_of, csm, account_a, account_b):
        response = client_of(csm).post(SETTINGS)
        assert response.status_code == 302 and response.url == SETTINGS
        assert HealthSnapshot.objects.filter(date=TODAY).count() == 2
        (message,) = messages_of(response)
        assert "Recomputed" in message and "4 snapshots" in message  # today and yesterday

    def test_a_second_press_within_5_minutes_queues_nothing(self, client_of, csm, account_a):
        client = client_of(csm)
        assert client.post(SETTINGS).status_code == 302
        HealthSnapshot.objects.all().delete()
        response = client.post(SETTINGS)
        assert response.status_code == 302 and response.url == SETTINGS
        message = list(get_messages(response.wsgi_request))[-1]  # after the first press's message
        assert message.level == constants.INFO
        assert str(message) == "A recompute started less than 5 minutes ago; scores will be ready shortly."
        assert not HealthSnapshot.objects.exists()  # nothing ran
        # Once the guard has expired (5 minutes), the button recomputes again.
        assert cache.get(f"health-recompute-{timezone.localdate()}") is True
        cache.delete(f"health-recompute-{timezone.localdate()}")
        response = client.post(SETTINGS)
        assert "Recomputed" in messages_of(response)[-1]
        assert HealthSnapshot.objects.filter(date=TODAY).count() == 1

    def test_the_button_asks_first(self, client_of, csm):
        text = client_of(csm).get(SETTINGS).text
        assert 'data-confirm="Recompute today' in text and "Recompute today now" in text
