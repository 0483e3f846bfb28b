from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "apps.surveys"
    label = "surveys"
    verbose_name = "NPS surveys"

    def ready(self):
        from apps.surveys import (
            kinds,  # noqa: F401  (registers the interaction kinds)
            tasks,  # noqa: F401  (registers the "surveys.invitation" e-mail sender)
        )
