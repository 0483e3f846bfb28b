"""Serializers of the CS manager's task API."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from apps.engagement.models import Channel, Outcome, Task, TaskStatus


class TaskPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="full_name")
    email = serializers.EmailField()


class TaskAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TaskTriggerSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, default="")
    url = serializers.CharField(allow_blank=True, default="")


class TaskSerializer(serializers.ModelSerializer):
    account = TaskAccountSerializer()
    assignee = TaskPersonSerializer(allow_null=True)
    completed_by = TaskPersonSerializer(allow_null=True)
    trigger = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "objective",
            "account",
            "assignee",
            "due_on",
            "overdue",
            "priority",
            "status",
            "trigger",
            "channel",
            "notes",
            "outcome",
            "completed_at",
            "completed_by",
            "url",
        ]

    def get_trigger(self, task) -> TaskTriggerSerializer:
        trigger = task.trigger or {}
        return {"text": trigger.get("text", ""), "url": trigger.get("url") or ""}

    def get_overdue(self, task) -> bool:
        return task.status == TaskStatus.OPEN and task.due_on < timezone.localdate()

    def get_url(self, task) -> str:
        """The task's page in the portal."""
        return reverse("task_detail", args=[task.pk])


class TaskListFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TaskStatus.choices, default=TaskStatus.OPEN)
    assignee = serializers.ChoiceField(
        choices=[("me", "My tasks"), ("all", "Every CS manager's"), ("unassigned", "Unassigned")],
        default="me",
    )
    account = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="An account id."
    )


class TaskCompleteInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    occurred_at = serializers.DateTimeField(
        required=False, help_text="When the interaction happened; now if left out. Not in the future."
    )

    def validate_occurred_at(self, value):
        if value > timezone.now() + timedelta(minutes=5):
            raise serializers.ValidationError("The interaction cannot be in the future.")
        return value
