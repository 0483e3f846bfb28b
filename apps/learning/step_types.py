"""Step types that other apps contribute to learning paths.

Learning knows content and live-session steps itself. A higher app (assessments) registers a
provider for its step kind, so a path can hold an assessment step without learning importing
assessments: the layer rule stays intact and the path page still shows a title and a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class StepProvider(Protocol):
    label: str

    def choices(self) -> list[tuple[int, str]]:
        """(id, title) pairs a content admin can pick from when adding a step."""

    def describe(self, ref_ids: list[int]) -> dict[int, StepTarget]:
        """Titles and links of the referenced objects, in one query."""

    def unpublished(self, ref_ids: list[int]) -> list[str]:
        """Titles of the referenced objects learners cannot open yet (drafts, deleted)."""


@dataclass(frozen=True)
class StepTarget:
    title: str
    url: str
    minutes: int = 0
    hint: str = ""


_PROVIDERS: dict[str, StepProvider] = {}


def register(kind: str, provider: StepProvider) -> None:
    _PROVIDERS[kind] = provider


def get(kind: str) -> StepProvider | None:
    return _PROVIDERS.get(kind)


def registered_kinds() -> list[str]:
    return sorted(_PROVIDERS)
