"""What every benchmark is handed: the database, the scale factor and Cairn's environment."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.server import bench_env


@dataclass
class BenchContext:
    database_url: str
    sf: float
    # Fewer repetitions, for a quick look; the README's figures are never taken with it.
    quick: bool = False
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        if not self.env:
            self.env = bench_env(self.database_url)
