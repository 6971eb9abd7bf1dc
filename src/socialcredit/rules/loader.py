"""Parse a rulebook's TOML text into the model, collecting every located problem.

Parsing checks shape (keys, types, values); `validate` checks the safeguards once
`extends` is resolved. Unknown keys are errors: a misspelt key must never be ignored.
"""

from __future__ import annotations

import itertools
import math
import re
import tomllib
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from socialcredit.domain.durations import Duration, parse_duration
from socialcredit.domain.grades import GradeScale
from socialcredit.errors import Problem, RulebookError
from socialcredit.rules.locate import Locator
from socialcredit.rules.model import (
    Bands,
    Bracket,
    ByField,
    ByMagnitude,
    Cap,
    Consequence,
    Cumulative,
    DirectGrade,
    Fixed,
    ListDef,
    Lookup,
    PerUnit,
    Points,
    Progressive,
    Repair,
    Rule,
    Rulebook,
    Scale,
    Validity,
)

__all__ = ["KEYS", "parse_rulebook"]

# Every key the loader accepts, by section. docs/rulebooks.md documents each of them
# (a test holds the two equal).
KEYS: dict[str, frozenset[str]] = {
    "top": frozenset({"rulebook", "validity", "rule", "list", "consequence"}),
    "rulebook": frozenset(
        {
            "id",
            "title",
            "jurisdiction",
            "extends",
            "version",
            "effective",
            "timezone",
            "membership",
            "subjects",
            "scale",
            "grades",
            "source",
        }
    ),
    "rulebook.scale": frozenset({"baseline", "floor", "ceiling"}),
    "validity": frozenset({"deductions", "bonuses", "grades"}),
    "rule": frozenset(
        {"id", "title", "domain", "on", "points", "grade", "repeat", "validity", "cap", "repair"}
    ),
    "rule.points": frozenset(
        {"by", "bands", "values", "per", "each", "progressive", "cumulative", "tiers"}
    ),
    "rule.points.progressive": frozenset({"above", "up_to", "step", "most", "each"}),
    "rule.validity": frozenset({"by_magnitude", "by", "values"}),
    "rule.cap": frozenset({"per", "most"}),
    "rule.repair": frozenset({"on", "points", "validity", "match"}),
    "list": frozenset(
        {
            "id",
            "title",
            "kind",
            "domain",
            "on",
            "notice",
            "appeal_window",
            "period",
            "extension",
            "removal",
            "removal_within",
        }
    ),
    "list.extension": frozenset({"on", "most"}),
    "consequence": frozenset({"purpose", "title", "effect", "when", "domains"}),
    "consequence.when": frozenset({"list", "grade_at_least", "grade_at_most"}),
}

CAP_PERIODS = ("year", "month")
T = TypeVar("T")


class _InvalidItemError(Exception):
    """Raised inside the reader to abandon one item after its problem was recorded."""


class _Reader:
    """Reads one rulebook text, recording located problems instead of stopping at the first."""

    def __init__(self, text: str, origin: str) -> None:
        self.origin = origin
        self.locator = Locator(text)
        self.problems: list[Problem] = []

    def problem(self, section: str, index: int, key: str | None, where: str, msg: str) -> None:
        line = self.locator.line(section, index, key)
        self.problems.append(Problem(self.origin, line, where, msg))

    def fail(
        self, section: str, index: int, key: str | None, where: str, msg: str
    ) -> _InvalidItemError:
        self.problem(section, index, key, where, msg)
        return _InvalidItemError()

    def keys(self, table: dict[str, Any], allowed: str, at: tuple[str, int, str]) -> None:
        for key in sorted(set(table) - KEYS[allowed]):
            choices = ", ".join(sorted(KEYS[allowed]))
            self.problem(at[0], at[1], key, at[2], f"unknown key {key!r} (allowed: {choices})")

    def get(
        self,
        table: dict[str, Any],
        key: str,
        kind: type[T] | tuple[type, ...],
        at: tuple[str, int, str],
        *,
        default: Any = ...,
        check: Callable[[Any], str] | None = None,
    ) -> Any:
        if key not in table:
            if default is ...:
                raise self.fail(at[0], at[1], None, at[2], f"missing required key {key!r}")
            return default
        value = table[key]
        allows_bool = kind is bool or (isinstance(kind, tuple) and bool in kind)
        if isinstance(value, bool) and not allows_bool:
            raise self.fail(at[0], at[1], key, at[2], f"{key} must be a number, not {value!r}")
        if not isinstance(value, kind):
            want = (
                kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            )
            raise self.fail(at[0], at[1], key, at[2], f"{key} must be {want}, not {value!r}")
        message = check(value) if check else ""
        if message:
            raise self.fail(at[0], at[1], key, at[2], f"{key}: {message}")
        return value

    def calendar(self, value: Any, at: tuple[str, int, str], key: str) -> Duration:
        """A validity: calendar time, never working days."""
        duration = self.duration(value, at, key)
        if duration.working_days:
            raise self.fail(
                at[0],
                at[1],
                key,
                at[2],
                f"{key}: a validity is calendar time (y, mo, w, d); working days are for deadlines",
            )
        return duration

    def duration(self, value: Any, at: tuple[str, int, str], key: str) -> Duration:
        if not isinstance(value, str):
            raise self.fail(at[0], at[1], key, at[2], f'{key} must be a duration like "1y"')
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise self.fail(at[0], at[1], key, at[2], f"{key}: {exc}") from None


def _bound(value: Any) -> float:
    if value == "inf":
        return math.inf
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f'{value!r} is not a bound (a number or "inf")')


def _integer(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"{value!r} is not a whole number of points")


def _pairs(r: _Reader, raw: Any, at: tuple[str, int, str], key: str) -> list[tuple[Any, Any]]:
    if (
        not isinstance(raw, list)
        or not raw
        or not all(isinstance(p, list) and len(p) == 2 for p in raw)
    ):
        raise r.fail(at[0], at[1], key, at[2], f"{key} must be a list of [bound, value] pairs")
    return [(p[0], p[1]) for p in raw]


def _ascending(r: _Reader, bounds: list[float], at: tuple[str, int, str], key: str) -> None:
    if any(b <= a for a, b in itertools.pairwise(bounds)):
        raise r.fail(at[0], at[1], key, at[2], f"{key} bounds must be strictly increasing")


def _read_bands(
    r: _Reader, raw: Any, at: tuple[str, int, str], key: str
) -> list[tuple[float, Any]]:
    try:
        pairs = [(_bound(b), v) for b, v in _pairs(r, raw, at, key)]
    except ValueError as exc:
        raise r.fail(at[0], at[1], key, at[2], f"{key}: {exc}") from None
    _ascending(r, [b for b, _ in pairs], at, key)
    return pairs


def _read_points(r: _Reader, rule: dict[str, Any], at: tuple[str, int, str]) -> Points:
    if "grade" in rule:
        if "points" in rule:
            raise r.fail(at[0], at[1], "grade", at[2], "a rule gives points or a grade, not both")
        return DirectGrade(r.get(rule, "grade", str, at))
    raw = r.get(rule, "points", (int, dict), at)
    if isinstance(raw, int):
        return Fixed(raw)
    sub = ("rule", at[1], at[2])
    r.keys(raw, "rule.points", sub)
    try:
        return _points_table(r, raw, sub)
    except ValueError as exc:
        raise r.fail("rule", at[1], "points", at[2], f"points: {exc}") from None


_POINT_KINDS = (
    frozenset({"per", "each"}),
    frozenset({"cumulative", "tiers"}),
    frozenset({"by", "bands"}),
    frozenset({"by", "values"}),
    frozenset({"by", "progressive"}),
)


def _points_table(r: _Reader, raw: dict[str, Any], at: tuple[str, int, str]) -> Points:
    if frozenset(raw) not in _POINT_KINDS:
        kinds = "; ".join("/".join(sorted(k)) for k in _POINT_KINDS)
        raise ValueError(
            f"a points table has exactly the keys of one kind ({kinds}), "
            f"not {'/'.join(sorted(raw))}"
        )
    if "per" in raw:
        return PerUnit(_text(raw["per"]), _integer(raw.get("each")))
    if "cumulative" in raw:
        tiers = [(b, _integer(v)) for b, v in _read_bands(r, raw.get("tiers"), at, "points")]
        return Cumulative(_text(raw["cumulative"]), tuple(tiers))
    field = _text(raw.get("by"))
    if "bands" in raw:
        bands = [(b, _integer(v)) for b, v in _read_bands(r, raw["bands"], at, "points")]
        if bands[-1][0] != math.inf:
            raise ValueError('the last band must be "inf", so that every value has points')
        return Bands(field, tuple(bands))
    if "values" in raw:
        values = raw["values"]
        if not isinstance(values, dict) or not values:
            raise ValueError("values must be a table of value = points")
        return Lookup(field, {str(k): _integer(v) for k, v in values.items()})
    if "progressive" in raw:
        if not isinstance(raw["progressive"], list) or not raw["progressive"]:
            raise ValueError("progressive is a list of brackets {above, up_to, step, most}")
        return Progressive(field, tuple(_bracket(r, b, at) for b in raw["progressive"]))
    raise ValueError(
        "write a number, or a table with per/each, by/bands, by/values, "
        "by/progressive, or cumulative/tiers"
    )


def _bracket(r: _Reader, raw: Any, at: tuple[str, int, str]) -> Bracket:
    if not isinstance(raw, dict):
        raise ValueError("each progressive bracket is a table {above, up_to, step, most}")
    r.keys(raw, "rule.points.progressive", at)
    bracket = Bracket(
        above=_bound(raw.get("above")),
        up_to=_bound(raw.get("up_to")),
        step=_bound(raw.get("step")),
        most=_integer(raw.get("most")),
        each=_integer(raw.get("each", 1)),
    )
    if not (bracket.up_to > bracket.above and bracket.step > 0 and bracket.most >= 0):
        raise ValueError("a bracket needs up_to > above, step > 0 and most >= 0")
    return bracket


def _texts(values: Any) -> str:
    """An error message unless `values` is a list of non-empty strings."""
    ok = isinstance(values, list) and all(isinstance(v, str) and v for v in values)
    return "" if ok else "must be a list of names in quotes"


def _text(value: Any) -> str:
    if isinstance(value, str) and value:
        return value
    raise ValueError(f"expected a field name, got {value!r}")


def _read_validity(r: _Reader, raw: Any, at: tuple[str, int, str], key: str) -> Validity:
    if isinstance(raw, str):
        return r.calendar(raw, at, key)
    if not isinstance(raw, dict):
        raise r.fail(at[0], at[1], key, at[2], f"{key} must be a duration or a table")
    r.keys(raw, "rule.validity", at)
    if "by_magnitude" in raw:
        bands = _read_bands(r, raw["by_magnitude"], at, key)
        if bands[-1][0] != math.inf:
            raise r.fail(at[0], at[1], key, at[2], f'{key}: the last band must be "inf"')
        return ByMagnitude(tuple((b, r.calendar(v, at, key)) for b, v in bands))
    if "by" in raw and isinstance(raw.get("values"), dict):
        values = {str(k): r.calendar(v, at, key) for k, v in raw["values"].items()}
        return ByField(str(raw["by"]), values)
    raise r.fail(at[0], at[1], key, at[2], f"{key} table needs by_magnitude, or by and values")


def _read_rule(r: _Reader, raw: Any, i: int, book: tuple[str, str]) -> Rule:
    where = f"rule {raw.get('id', f'#{i + 1}')!r}" if isinstance(raw, dict) else f"rule #{i + 1}"
    at = ("rule", i, where)
    if not isinstance(raw, dict):
        raise r.fail(*at[:2], None, where, "each [[rule]] must be a table")
    r.keys(raw, "rule", at)
    rule_id = r.get(raw, "id", str, at)
    points = _read_points(r, raw, at)
    validity = _read_validity(r, raw["validity"], at, "validity") if "validity" in raw else None
    return Rule(
        id=rule_id,
        domain=r.get(raw, "domain", str, at),
        on=r.get(raw, "on", str, at),
        points=points,
        validity=validity,
        title=r.get(raw, "title", str, at, default=""),
        repeat=r.get(
            raw,
            "repeat",
            str,
            at,
            default="",
            check=lambda v: "" if v in ("", "double") else 'the only repeat is "double"',
        )
        == "double",
        cap=_read_cap(r, raw.get("cap"), at),
        repair=_read_repair(r, raw.get("repair"), at),
        rulebook=book[0],
        version=book[1],
        line=r.locator.line("rule", i),
    )


def _read_cap(r: _Reader, raw: Any, at: tuple[str, int, str]) -> Cap | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise r.fail(at[0], at[1], "cap", at[2], "cap must be a table {per, most}")
    r.keys(raw, "rule.cap", at)
    period = r.get(
        raw,
        "per",
        str,
        at,
        check=lambda v: (
            "" if v in CAP_PERIODS else f"a cap period is one of {', '.join(CAP_PERIODS)}"
        ),
    )
    most = r.get(raw, "most", int, at, check=lambda v: "" if v > 0 else "must be positive")
    return Cap(period, most)


def _read_repair(r: _Reader, raw: Any, at: tuple[str, int, str]) -> Repair | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise r.fail(at[0], at[1], "repair", at[2], "repair must be a table")
    r.keys(raw, "rule.repair", at)
    return Repair(
        on=r.get(raw, "on", str, at),
        points=r.get(raw, "points", int, at),
        validity=r.calendar(r.get(raw, "validity", str, at), at, "repair"),
        match=r.get(raw, "match", str, at, default=None),
    )


def _read_list(r: _Reader, raw: Any, i: int) -> ListDef:
    where = f"list {raw.get('id', f'#{i + 1}')!r}" if isinstance(raw, dict) else f"list #{i + 1}"
    at = ("list", i, where)
    if not isinstance(raw, dict):
        raise r.fail("list", i, None, where, "each [[list]] must be a table")
    r.keys(raw, "list", at)
    on = r.get(raw, "on", (str, list), at, check=lambda v: "" if isinstance(v, str) else _texts(v))
    extension = r.get(raw, "extension", dict, at, default=None)
    if extension is not None:
        r.keys(extension, "list.extension", at)
    within = raw.get("removal_within")
    return ListDef(
        id=r.get(raw, "id", str, at),
        kind=r.get(
            raw,
            "kind",
            str,
            at,
            check=lambda v: "" if v in ("black", "red") else 'kind is "black" or "red"',
        ),
        domain=r.get(raw, "domain", str, at),
        on=tuple([on] if isinstance(on, str) else on),
        appeal_window=r.duration(r.get(raw, "appeal_window", str, at), at, "appeal_window"),
        period=r.duration(r.get(raw, "period", str, at), at, "period"),
        title=r.get(raw, "title", str, at, default=""),
        notice=r.get(raw, "notice", bool, at, default=True),
        extension_on=r.get(extension, "on", str, at) if extension else None,
        extension_most=r.duration(r.get(extension, "most", str, at), at, "extension")
        if extension
        else None,
        removal_on=tuple(r.get(raw, "removal", list, at, default=[], check=_texts)),
        removal_within=r.duration(within, at, "removal_within") if within else None,
        line=r.locator.line("list", i),
    )


def _read_consequence(r: _Reader, raw: Any, i: int) -> Consequence:
    name = raw.get("purpose", f"#{i + 1}") if isinstance(raw, dict) else f"#{i + 1}"
    at = ("consequence", i, f"consequence {name!r}")
    if not isinstance(raw, dict):
        raise r.fail("consequence", i, None, at[2], "each [[consequence]] must be a table")
    r.keys(raw, "consequence", at)
    when = r.get(raw, "when", dict, at)
    r.keys(when, "consequence.when", at)
    if len(when) != 1:
        raise r.fail(
            "consequence",
            i,
            "when",
            at[2],
            "when names exactly one trigger: list, grade_at_least or grade_at_most",
        )
    return Consequence(
        purpose=r.get(raw, "purpose", str, at),
        effect=r.get(
            raw,
            "effect",
            str,
            at,
            check=lambda v: "" if v in ("allow", "deny") else 'effect is "allow" or "deny"',
        ),
        domains=frozenset(r.get(raw, "domains", list, at, check=_texts)),
        on_list=r.get(when, "list", str, at, default=None),
        grade_at_least=r.get(when, "grade_at_least", str, at, default=None),
        grade_at_most=r.get(when, "grade_at_most", str, at, default=None),
        title=r.get(raw, "title", str, at, default=""),
        line=r.locator.line("consequence", i),
    )


def _read_grades(r: _Reader, raw: Any) -> GradeScale | None:
    if raw is None:
        return None
    at = ("rulebook", 0, "rulebook")
    pairs = _pairs(r, raw, at, "grades")
    if not all(isinstance(n, str) and isinstance(b, int) for n, b in pairs):
        raise r.fail(*at[:2], "grades", at[2], 'grades are ["NAME", lower bound] pairs')
    bounds = [b for _, b in pairs]
    if any(b >= a for a, b in itertools.pairwise(bounds)):
        raise r.fail(*at[:2], "grades", at[2], "grades go from best to worst, bounds decreasing")
    return GradeScale(tuple(pairs))


def _read_scale(r: _Reader, raw: Any) -> Scale | None:
    if raw is None:
        return None
    at = ("rulebook", 0, "rulebook")
    if not isinstance(raw, dict):
        raise r.fail(*at[:2], "scale", at[2], "scale must be a table {baseline, floor, ceiling}")
    r.keys(raw, "rulebook.scale", at)
    return Scale(
        baseline=r.get(raw, "baseline", int, at),
        floor=r.get(raw, "floor", int, at, default=0),
        ceiling=r.get(raw, "ceiling", int, at, default=None),
    )


def _read_defaults(r: _Reader, raw: Any) -> dict[str, Validity]:
    if raw is None:
        return {}
    at = ("validity", 0, "validity")
    r.keys(raw, "validity", at)
    found: dict[str, Validity] = {}
    for key in ("deductions", "bonuses"):
        if key in raw:
            found[key] = _read_validity(r, raw[key], at, key)
    for grade, text in r.get(raw, "grades", dict, at, default={}).items():
        found[f"grade:{grade}"] = r.calendar(text, at, "grades")
    return found


def _guard(r: _Reader, make: Callable[[], T]) -> T | None:
    try:
        return make()
    except _InvalidItemError:
        return None


def _read_header(r: _Reader, data: dict[str, Any]) -> dict[str, Any]:
    at = ("rulebook", 0, "rulebook")
    head = r.get(data, "rulebook", dict, at)
    r.keys(head, "rulebook", at)
    subjects = r.get(head, "subjects", list, at, default=None)
    kinds = ("person", "organisation", "opaque")
    if subjects is not None and not all(s in kinds for s in subjects):
        r.problem(*at[:2], "subjects", at[2], f"subjects are drawn from {', '.join(kinds)}")
    return {
        "id": r.get(head, "id", str, at),
        "version": r.get(head, "version", str, at),
        "effective": r.get(
            head,
            "effective",
            date,
            at,
            check=lambda v: (
                "is a date (2020-01-01), not a date and time" if isinstance(v, datetime) else ""
            ),
        ),
        "title": r.get(head, "title", str, at, default=""),
        "jurisdiction": r.get(head, "jurisdiction", str, at, default=""),
        "extends": r.get(head, "extends", str, at, default=None),
        "timezone": r.get(head, "timezone", str, at, default=None),
        "membership": r.get(
            head,
            "membership",
            str,
            at,
            default=None,
            check=lambda v: (
                "" if v in ("mandatory", "opt-in") else 'membership is "mandatory" or "opt-in"'
            ),
        ),
        "subjects": tuple(subjects) if subjects is not None else None,
        "source": r.get(head, "source", str, at, default=""),
        "scale": _guard(r, lambda: _read_scale(r, head.get("scale"))),
        "grades": _guard(r, lambda: _read_grades(r, head.get("grades"))),
    }


def parse_rulebook(text: str, origin: str) -> Rulebook:
    """Parse one rulebook version; raises RulebookError listing every located problem."""
    r = _Reader(text, origin)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        message = re.sub(r"\s*\(at line.*\)$", "", str(exc))
        line = int(at.group(1)) if at else None
        raise RulebookError([Problem(origin, line, "", f"not valid TOML: {message}")]) from None
    r.keys(data, "top", ("rulebook", 0, "file"))
    head = _guard(r, lambda: _read_header(r, data))
    if head is None:
        raise RulebookError(r.problems)
    book = (head["id"], head["version"])
    rules = _read_all(r, _array(r, data, "rule"), lambda x, i: _read_rule(r, x, i, book))
    lists = _read_all(r, _array(r, data, "list"), lambda x, i: _read_list(r, x, i))
    consequences = _read_all(
        r, _array(r, data, "consequence"), lambda x, i: _read_consequence(r, x, i)
    )
    defaults = _guard(r, lambda: _read_defaults(r, data.get("validity"))) or {}
    if r.problems:
        raise RulebookError(r.problems)
    return Rulebook(
        **head,
        origin=origin,
        default_validity=defaults,
        text=text,
        rules=tuple(rules),
        lists=tuple(lists),
        consequences=tuple(consequences),
    )


def _read_all(r: _Reader, items: list[Any], read: Callable[[Any, int], T]) -> list[T]:
    found = []
    for i, item in enumerate(items):
        try:
            found.append(read(item, i))
        except _InvalidItemError:
            continue
    return found


def _array(r: _Reader, data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        r.problem(key, 0, None, key, f"write [[{key}]] tables, not [{key}]")
        return []
    return value
