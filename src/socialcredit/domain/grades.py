"""Grade scales: bands by inclusive lower bound, and the score cap of a direct grade."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GradeScale"]


@dataclass(frozen=True)
class GradeScale:
    """Grades from best to worst, each with its inclusive lower bound on the score."""

    bands: tuple[tuple[str, int], ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Grade names from best to worst."""
        return tuple(name for name, _ in self.bands)

    def rank(self, grade: str) -> int:
        """0 for the best grade, growing towards the worst."""
        return self.names.index(grade)

    def grade_of(self, score: int) -> str:
        """The grade whose band holds `score` (below every bound: the worst grade)."""
        for name, lower in self.bands:
            if score >= lower:
                return name
        return self.bands[-1][0]

    def cap_of(self, grade: str) -> int | None:
        """The top of a grade's band (one below the next better bound); None for the best."""
        i = self.rank(grade)
        return None if i == 0 else self.bands[i - 1][1] - 1

    def no_better_than(self, grade: str, limit: str | None) -> str:
        """`grade`, or `limit` if that is worse."""
        if limit is None:
            return grade
        return grade if self.rank(grade) >= self.rank(limit) else limit
