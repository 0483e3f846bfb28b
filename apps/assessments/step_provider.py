"""Assessments as steps of learning paths (see apps.learning.step_types)."""

from apps.assessments.models import Assessment
from apps.learning import step_types


class AssessmentSteps:
    label = "Assessment"

    def choices(self) -> list[tuple[int, str]]:
        return list(Assessment.objects.order_by("title").values_list("pk", "title"))

    def describe(self, ref_ids: list[int]) -> dict[int, step_types.StepTarget]:
        return {
            a.pk: step_types.StepTarget(
                title=a.title,
                url=a.get_absolute_url(),
                minutes=a.time_limit_minutes or 15,
                hint=f"Pass with {a.pass_mark}%",
            )
            for a in Assessment.objects.filter(pk__in=ref_ids)
        }

    def unpublished(self, ref_ids: list[int]) -> list[str]:
        published = set(Assessment.objects.published().filter(pk__in=ref_ids).values_list("pk", flat=True))
        titles = dict(Assessment.objects.filter(pk__in=ref_ids).values_list("pk", "title"))
        return [titles.get(pk, f"assessment #{pk}") for pk in ref_ids if pk not in published]


step_types.register("assessment", AssessmentSteps())
