from django.apps import AppConfig


class RoadmapConfig(AppConfig):
    name = "apps.roadmap"
    label = "roadmap"
    verbose_name = "Roadmap and product updates"

    def ready(self):
        from apps.roadmap import kinds  # noqa: F401  (registers the interaction kinds)
