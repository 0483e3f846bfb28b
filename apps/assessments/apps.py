from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "apps.assessments"
    label = "assessments"
    verbose_name = "Skills, assessments and certifications"

    def ready(self):
        from apps.assessments import kinds, signals, step_provider  # noqa: F401  (registrations)
