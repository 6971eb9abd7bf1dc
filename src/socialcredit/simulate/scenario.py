"""Scenarios: who the simulated people are and how they behave, read from TOML.

Every table and key is documented in docs/simulate.md (a test holds the two equal). A
scenario names everything a run depends on: the same scenario gives the same outputs, byte
for byte. Tables with a `*` in their name are keyed by a name the scenario chooses
(`[behaviour.driving]`, `[population.by_group.minority]`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, get_type_hints

from socialcredit.errors import SocialCreditError
from socialcredit.simulate.synthetic import _KINDS

__all__ = [
    "BEHAVIOURS",
    "KEYS",
    "Appeals",
    "Behaviour",
    "Deterrence",
    "Disputes",
    "FalseReports",
    "GroupMix",
    "Performance",
    "PopulationMix",
    "Redemption",
    "Run",
    "Scenario",
    "load_scenario",
    "parse_scenario",
    "shipped_scenarios",
]


def behaviour_of(event_type: str, propensity: str | None) -> str:
    """The behaviour an event kind expresses: its shared propensity, else its type's domain."""
    return propensity or event_type.split(".")[0]


# The behaviours the simulated people have, one propensity each, in a fixed order.
BEHAVIOURS = tuple(dict.fromkeys(behaviour_of(k.type, k.propensity) for k in _KINDS if k.rate > 0))
# Heterogeneity the synthetic generator uses; every other behaviour starts at this sigma.
_SIGMAS = {"driving": 0.9, "blood": 1.2, "volunteering": 1.5, "giving": 1.0}
_DEFAULT_SIGMA = 1.0


@dataclass(frozen=True)
class Run:
    """What to run: the rulebook, how many people, for how long, from which seed."""

    rulebook: str = "cn-371003-wendeng"
    population: int = 10_000
    start: date = date(2024, 1, 1)
    days: int = 365
    seed: int = 7
    rate: float = 0.4
    chunk: int = 1_048_576
    block: int = 65_536


@dataclass(frozen=True)
class GroupMix:
    """A group's own district and income-band shares (empty: the population's)."""

    districts: dict[str, float] = field(default_factory=dict)
    income_bands: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class PopulationMix:
    """Shares of districts, income bands and audit groups, and reporting intensity by district."""

    districts: dict[str, float] = field(
        default_factory=lambda: {"Longshan": 0.4, "Tianfu": 0.35, "Wenquan": 0.25}
    )
    income_bands: dict[str, float] = field(
        default_factory=lambda: {"low": 0.3, "middle": 0.5, "high": 0.2}
    )
    groups: dict[str, float] = field(default_factory=lambda: {"a": 0.5, "b": 0.5})
    enforcement: dict[str, float] = field(default_factory=dict)
    by_group: dict[str, GroupMix] = field(default_factory=dict)


@dataclass(frozen=True)
class Behaviour:
    """One behaviour's propensity: a mean-1 lognormal, times a factor per income band."""

    sigma: float = _DEFAULT_SIGMA
    income: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Deterrence:
    """After each penalty, the propensity for that behaviour (or all misconduct) falls."""

    factor: float = 0.7
    floor: float = 0.25
    scope: str = "behaviour"


@dataclass(frozen=True)
class Redemption:
    """Good deeds rise while one's own reckoning of the score is just below a grade bound."""

    margin: int = 20
    factor: float = 2.0


@dataclass(frozen=True)
class FalseReports:
    """The share of negative reports that are false: about people who did nothing."""

    rate: float = 0.02


@dataclass(frozen=True)
class Disputes:
    """Who disputes an entry, when, and what the source manages to confirm."""

    false: float = 0.6
    true: float = 0.05
    delay_days: float = 20.0
    confirm_days: int = 15
    unconfirmed: float = 0.05


@dataclass(frozen=True)
class Appeals:
    """Who appeals a listing inside its window, and how the review decides."""

    false: float = 0.7
    true: float = 0.05
    overturn_false: float = 0.9
    overturn_true: float = 0.05
    decided_days: int = 15


@dataclass(frozen=True)
class Performance:
    """How soon listed defaulters perform the judgment: a monthly probability."""

    monthly: float = 0.06


@dataclass(frozen=True)
class Scenario:
    """A whole simulation: the run, the population and every behaviour model."""

    run: Run = field(default_factory=Run)
    population: PopulationMix = field(default_factory=PopulationMix)
    behaviour: dict[str, Behaviour] = field(default_factory=dict)
    deterrence: Deterrence = field(default_factory=Deterrence)
    redemption: Redemption = field(default_factory=Redemption)
    false_reports: FalseReports = field(default_factory=FalseReports)
    disputes: Disputes = field(default_factory=Disputes)
    appeals: Appeals = field(default_factory=Appeals)
    performance: Performance = field(default_factory=Performance)

    def propensity(self, name: str) -> Behaviour:
        """The stated propensity of one behaviour, or its default."""
        return self.behaviour.get(name, Behaviour(sigma=_SIGMAS.get(name, _DEFAULT_SIGMA)))

    def with_run(self, **changes: Any) -> Scenario:
        """The same scenario with some run settings replaced (None leaves one as it is)."""
        given = {key: value for key, value in changes.items() if value is not None}
        scenario = replace(self, run=replace(self.run, **given))
        _check(scenario, "command line")
        return scenario


# --- the format --------------------------------------------------------------------------------

_TABLES: dict[str, type] = {
    "run": Run,
    "population": PopulationMix,
    "population.by_group.*": GroupMix,
    "behaviour.*": Behaviour,
    "deterrence": Deterrence,
    "redemption": Redemption,
    "false_reports": FalseReports,
    "disputes": Disputes,
    "appeals": Appeals,
    "performance": Performance,
}
_NESTED = {"by_group"}
_SIMPLE = ("run", "deterrence", "redemption", "false_reports", "disputes", "appeals", "performance")


def _keys(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls) if f.name not in _NESTED)


# Every key the loader accepts, by table ("top": the tables a scenario may have).
KEYS: dict[str, frozenset[str]] = {
    "top": frozenset(f.name for f in fields(Scenario)),
    **{name: _keys(cls) for name, cls in _TABLES.items()},
}


def _fail(origin: str, where: str, message: str) -> SocialCreditError:
    return SocialCreditError(f"{origin}: [{where}] {message}")


def _value(origin: str, where: str, key: str, kind: Any, raw: object) -> object:
    wrong = _fail(origin, where, f"{key} = {raw!r}: expected {getattr(kind, '__name__', kind)}")
    if kind is float:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise wrong
        return float(raw)
    if kind in (int, str, date) and (isinstance(raw, bool) or not isinstance(raw, kind)):
        raise wrong
    if kind == dict[str, float]:
        if not isinstance(raw, dict):
            raise _fail(origin, where, f"{key} must be a table of name = number")
        return {str(k): _value(origin, where, f"{key}.{k}", float, v) for k, v in raw.items()}
    return raw


def _table(origin: str, where: str, cls: type, raw: object) -> Any:
    if not isinstance(raw, dict):
        raise _fail(origin, where, "must be a table")
    known = _keys(cls)
    unknown = sorted(set(raw) - known - (_NESTED & {f.name for f in fields(cls)}))
    if unknown:
        raise _fail(
            origin, where, f"unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})"
        )
    hints = get_type_hints(cls)
    values = {k: _value(origin, where, k, hints[k], v) for k, v in raw.items() if k in known}
    return cls(**values)


def _named(origin: str, where: str, cls: type, raw: object) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _fail(origin, where, "must be a table of named tables")
    return {str(name): _table(origin, f"{where}.{name}", cls, body) for name, body in raw.items()}


def parse_scenario(text: str, origin: str = "<scenario>") -> Scenario:
    """A checked scenario from TOML text; errors name the origin, the table and the key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SocialCreditError(f"{origin}: not valid TOML: {exc}") from None
    unknown = sorted(set(raw) - KEYS["top"])
    if unknown:
        known = ", ".join(sorted(KEYS["top"]))
        raise SocialCreditError(f"{origin}: unknown table [{unknown[0]}] (known: {known})")
    parts: dict[str, Any] = {}
    for name in _SIMPLE:
        if name in raw:
            parts[name] = _table(origin, name, _TABLES[name], raw[name])
    if "population" in raw:
        body = dict(raw["population"]) if isinstance(raw["population"], dict) else raw["population"]
        groups = body.pop("by_group", {}) if isinstance(body, dict) else {}
        mix = _table(origin, "population", PopulationMix, body)
        by_group = _named(origin, "population.by_group", GroupMix, groups)
        parts["population"] = replace(mix, by_group=by_group)
    if "behaviour" in raw:
        parts["behaviour"] = _named(origin, "behaviour", Behaviour, raw["behaviour"])
    scenario = Scenario(**parts)
    _check(scenario, origin)
    return scenario


def load_scenario(name_or_path: str) -> Scenario:
    """A scenario from a TOML file, or a shipped scenario by name."""
    path = Path(name_or_path)
    shipped = shipped_scenarios()
    if name_or_path in shipped and not path.is_file():
        return parse_scenario(shipped[name_or_path], f"scenarios/{name_or_path}.toml")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        known = ", ".join(sorted(shipped)) or "none"
        raise SocialCreditError(
            f"{name_or_path}: cannot read the scenario ({exc.strerror}); shipped: {known}"
        ) from None
    return parse_scenario(text, str(path))


def shipped_scenarios() -> dict[str, str]:
    """The scenarios shipped in the package, by name, as TOML text."""
    folder = resources.files("socialcredit.simulate") / "scenarios"
    return {
        item.name.removesuffix(".toml"): item.read_text(encoding="utf-8")
        for item in sorted(folder.iterdir(), key=lambda i: i.name)
        if item.name.endswith(".toml")
    }


# --- checks ------------------------------------------------------------------------------------


def _shares(origin: str, where: str, shares: dict[str, float], *, required: bool) -> None:
    if required and not shares:
        raise _fail(origin, where, "needs at least one share")
    if any(v < 0 for v in shares.values()) or (shares and sum(shares.values()) <= 0):
        raise _fail(origin, where, "shares must be >= 0 with a positive sum")


def _probability(origin: str, where: str, **values: float) -> None:
    for key, value in values.items():
        if not 0 <= value <= 1:
            raise _fail(origin, where, f"{key} = {value}: must be between 0 and 1")


def _check(scenario: Scenario, origin: str) -> None:
    run, mix = scenario.run, scenario.population
    if run.population < 1 or run.days < 1 or run.chunk < 1 or run.block < 1:
        raise _fail(origin, "run", "population, days, chunk and block must be >= 1")
    if run.rate < 0 or run.days > 20 * 366 or run.seed < 0:
        raise _fail(origin, "run", "rate and seed must be >= 0 and days at most 20 years")
    for key in ("districts", "income_bands", "groups"):
        _shares(origin, f"population.{key}", getattr(mix, key), required=True)
    _known(origin, "population.enforcement", mix.enforcement, mix.districts)
    _known(origin, "population.by_group", mix.by_group, mix.groups)
    for name, group in mix.by_group.items():
        for key in ("districts", "income_bands"):
            where = f"population.by_group.{name}.{key}"
            _shares(origin, where, getattr(group, key), required=False)
            _known(origin, where, getattr(group, key), getattr(mix, key))
    _known(origin, "behaviour", scenario.behaviour, dict.fromkeys(BEHAVIOURS))
    for name, behaviour in scenario.behaviour.items():
        if behaviour.sigma < 0:
            raise _fail(origin, f"behaviour.{name}", "sigma must be >= 0")
        _known(origin, f"behaviour.{name}.income", behaviour.income, mix.income_bands)
    _check_models(scenario, origin)


def _check_models(scenario: Scenario, origin: str) -> None:
    deterrence = scenario.deterrence
    if not 0 < deterrence.factor <= 1 or not 0 <= deterrence.floor <= 1:
        raise _fail(origin, "deterrence", "factor must be in (0, 1] and floor in [0, 1]")
    if deterrence.scope not in ("behaviour", "all"):
        raise _fail(origin, "deterrence", f"scope = {deterrence.scope!r}: 'behaviour' or 'all'")
    if scenario.redemption.margin < 0 or scenario.redemption.factor < 0:
        raise _fail(origin, "redemption", "margin and factor must be >= 0")
    if not 0 <= scenario.false_reports.rate < 1:
        raise _fail(origin, "false_reports", "rate must be in [0, 1)")
    d, a = scenario.disputes, scenario.appeals
    _probability(origin, "disputes", false=d.false, true=d.true, unconfirmed=d.unconfirmed)
    if d.delay_days < 0 or d.confirm_days < 1:
        raise _fail(origin, "disputes", "delay_days must be >= 0 and confirm_days >= 1")
    _probability(
        origin,
        "appeals",
        false=a.false,
        true=a.true,
        overturn_false=a.overturn_false,
        overturn_true=a.overturn_true,
    )
    if a.decided_days < 1:
        raise _fail(origin, "appeals", "decided_days must be >= 1")
    _probability(origin, "performance", monthly=scenario.performance.monthly)


def _known(origin: str, where: str, given: dict[str, Any], known: dict[str, Any]) -> None:
    unknown = sorted(set(given) - set(known))
    if unknown:
        names = ", ".join(sorted(known))
        raise _fail(origin, where, f"unknown name {unknown[0]!r} (known: {names})")
