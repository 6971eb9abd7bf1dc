"""Seeded synthetic people and event streams in the Wendeng vocabulary, for demos and benchmarks.

Everything is drawn with numpy in whole arrays (loops run over the ~30 event kinds, never over
people or events) and returned as Polars frames: a million people for a year take seconds.
Randomness comes only from the seed or `np.random.Generator` the caller passes in.

Resident ID numbers carry the division code in force for the birth place in the birth year
(Wendeng is 371003 only since 2014, 371081 from 1989, older codes before), because that is
what `stdnum.cn.ric` checks and what numbers issued at birth look like.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import polars as pl

from socialcredit.kernel.identity import adult_from

__all__ = ["EVENT_SCHEMA", "Population", "synthetic_events", "synthetic_population", "wire_records"]

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

EVENT_SCHEMA = pl.Schema(
    [
        *((name, pl.String()) for name in ("id", "source", "subject", "type")),
        ("occurred_at", pl.Datetime("us", "UTC")),
        ("act", pl.String()),
        *((name, pl.Float64()) for name in ("amount_cny", "months", "value_cny", "hours")),
        ("level", pl.String()),
        ("case_no", pl.String()),
        ("years", pl.Float64()),
        ("target", pl.String()),
        ("reason", pl.String()),
    ]
)
_DATA_FIELDS = EVENT_SCHEMA.names()[6:]
_LOCAL_ZONE = "Asia/Shanghai"
_JURISDICTION = "371003"
_DAY = 86_400


# --- population --------------------------------------------------------------------------------

# (share of people, ((last birth year, division code in force), ...)), as stdnum's table has it.
_PLACES: tuple[tuple[float, tuple[tuple[int, int], ...]], ...] = (
    (0.85, ((1982, 372132), (1986, 370632), (1988, 371022), (2013, 371081), (9999, 371003))),
    (0.05, ((1982, 372102), (1986, 370620), (9999, 371002))),  # Huancui, Weihai
    (0.04, ((1982, 372133), (1986, 370633), (1988, 371023), (9999, 371082))),  # Rongcheng
    (0.03, ((1982, 372130), (1986, 370630), (1992, 371021), (9999, 371083))),  # Rushan
    (0.02, ((1982, 370120), (9999, 370102))),  # Lixia, Jinan
    (0.01, ((1982, 370220), (9999, 370202))),  # Shinan, Qingdao
)
_MINOR_SHARE = 0.10
# Relative weight of each adult age 18..85: a Chinese pyramid, full 30s and 50s, thin 80s.
_ADULT_AGES = np.arange(18, 86)
_ADULT_AGE_WEIGHTS = np.interp(
    _ADULT_AGES, [18, 25, 35, 45, 55, 65, 75, 85], [0.8, 1.0, 1.05, 1.0, 1.2, 0.9, 0.5, 0.2]
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_SEQ_STEP = 379  # coprime with 999: ranks 0..998 within a group give distinct sequence numbers


@dataclass(frozen=True, eq=False)
class Population:
    """Synthetic people: `subject` (resident ID number, unique) and `birth_date` (pl.Date)."""

    people: pl.DataFrame

    def __len__(self) -> int:
        return self.people.height


def synthetic_population(n: int, *, seed: int | np.random.Generator, start: date) -> Population:
    """`n` people aged 12-85 on `start`, about 10% of them minors, with unique valid IDs."""
    if n < 0:
        raise ValueError(f"population size must be >= 0, not {n}")
    rng = _generator(seed, stream=0)
    born = _birth_days(rng, n, start)
    subject = _resident_ids(rng, born, _division_codes(rng, born))
    birth_date = pl.Series("birth_date", born.astype("datetime64[D]")).cast(pl.Date)
    return Population(pl.DataFrame([subject, birth_date]))


def _birth_days(rng: np.random.Generator, n: int, start: date) -> Ints:
    # Aged a on `start` means born in (start - (a+1) years, start - a years]: uniform inside it.
    ages = np.where(
        rng.random(n) < _MINOR_SHARE,
        rng.integers(12, 18, n),
        rng.choice(_ADULT_AGES, n, p=_ADULT_AGE_WEIGHTS / _ADULT_AGE_WEIGHTS.sum()),
    )
    anniversaries = np.array([_epoch_day(_years_before(start, a)) for a in range(88)])
    latest, earliest = anniversaries[ages], anniversaries[ages + 1] + 1
    born: Ints = earliest + (rng.random(n) * (latest - earliest + 1)).astype(np.int64)
    return born


def _division_codes(rng: np.random.Generator, born: Ints) -> Ints:
    year = born.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    shares = np.array([share for share, _ in _PLACES])
    place = rng.choice(len(_PLACES), born.size, p=shares / shares.sum())
    codes = np.zeros(born.size, dtype=np.int64)
    for index, (_, history) in enumerate(_PLACES):
        last_years, in_force = (np.array(column) for column in zip(*history, strict=True))
        here = place == index
        codes[here] = in_force[np.searchsorted(last_years, year[here])]
    return codes


def _resident_ids(rng: np.random.Generator, born: Ints, codes: Ints) -> pl.Series:
    days = born.astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    years = months.astype("datetime64[Y]")
    yyyymmdd = (
        (years.astype(np.int64) + 1970) * 10_000
        + (months - years).astype(np.int64) * 100
        + (days - months).astype(np.int64)
        + 101
    )
    stem = codes * 10**11 + yyyymmdd * 1_000
    body = stem + _sequence_numbers(rng, stem)
    total = np.zeros(body.size, dtype=np.int64)
    for position, weight in enumerate(_ID_WEIGHTS):
        total += body // 10 ** (16 - position) % 10 * weight
    check = pl.Series(list(_ID_CHECK)).gather(pl.Series(total % 11, dtype=pl.UInt32))
    return (pl.Series(body).cast(pl.String) + check).alias("subject")


def _sequence_numbers(rng: np.random.Generator, stem: Ints) -> Ints:
    # People sharing a division code and birth date get distinct sequence numbers 001-999.
    order = np.argsort(stem)
    ordered = stem[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    group = np.cumsum(starts) - 1
    rank = np.arange(stem.size) - np.flatnonzero(starts)[group]
    if rank.size and rank.max() >= 999:
        raise ValueError("too many people share a birth date and place for unique ID numbers")
    offset = rng.integers(0, 999, int(starts.sum()))[group]
    sequence = np.empty_like(stem)
    sequence[order] = (offset + rank * _SEQ_STEP) % 999 + 1
    return sequence


# --- event kinds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    type: str
    source: str
    rate: float  # per adult per year, before `_CALIBRATION`; 0 for follow-up events only
    minor_factor: float = 1.0  # rate multiplier while the subject is under 18
    propensity: str | None = None  # a heterogeneous per-person intensity shared across kinds


_T, _P, _C, _V = "traffic.weihai", "police.wendeng", "court.wendeng", "civic.wendeng"
_KINDS: tuple[_Kind, ...] = (
    _Kind("traffic.warning", _T, 1.5, 0.05, "driving"),
    _Kind("traffic.fine", _T, 2.5, 0.05, "driving"),
    _Kind("traffic.license_suspended", _T, 0.01, 0.05, "driving"),
    _Kind("traffic.twelve_point_offence", _T, 0.02, 0.05, "driving"),
    _Kind("traffic.drunk_driving", _T, 0.003, 0.05, "driving"),
    _Kind("finance.loan_arrears", "bank.weihai", 0.05, 0.05),
    _Kind("commerce.fraud", "market.wendeng", 0.002, 0.2),
    _Kind("commerce.counterfeit_goods", "market.wendeng", 0.002, 0.2),
    _Kind("tax.arrears", "tax.wendeng", 0.03, 0.1),
    _Kind("tax.evasion_serious", "tax.wendeng", 0.001, 0.1),
    _Kind("public_order.noise", _P, 0.2),
    _Kind("public_order.illegal_parking", _P, 1.0, 0.05, "driving"),
    _Kind("public_order.seat_hogging", _P, 0.005),
    _Kind("public_order.violent_obstruction", _P, 0.001),
    _Kind("civil.elder_support_refused", _C, 0.002, 0.0),
    _Kind("education.exam_cheating", "edu.weihai", 0.003),
    _Kind("education.academic_fraud", "edu.weihai", 0.0005),
    _Kind("court.defaulter_listed", _C, 0.01, 0.1),
    _Kind("court.consumption_restricted", _C, 0.005, 0.1),
    _Kind("court.admin_detention", _C, 0.002, 0.1),
    _Kind("court.judgment_performed", _C, 0.0),  # follows some listings
    _Kind("health.blood_donation", "bloodbank.weihai", 0.3, 0.0, "blood"),
    _Kind("health.marrow_donation", "bloodbank.weihai", 0.001, 0.0),
    _Kind("civic.heroic_act", _V, 0.005),
    _Kind("civic.lost_property_returned", _P, 0.05),
    _Kind("civic.volunteer_hours", "volunteer.wendeng", 1.0, 1.0, "volunteering"),
    _Kind("civic.donation", "charity.weihai", 0.2, 0.5, "giving"),
    _Kind("civic.award", _V, 0.002),
    # Follow-ups with their own codes, so that each code is one batch of events.
    _Kind("traffic.warning", _T, 0.0),  # shares an act with a fine
    _Kind("traffic.license_suspended", _T, 0.0),  # shares an act with a fine
    _Kind("void", "", 0.0),  # withdraws an earlier event; its source is the target's
)
_ACT_WARNING, _ACT_SUSPENSION, _VOID = range(len(_KINDS) - 3, len(_KINDS))
_CODE = {kind.type: code for code, kind in enumerate(_KINDS[:_ACT_WARNING])}
_FINE, _LISTED = _CODE["traffic.fine"], _CODE["court.defaulter_listed"]
_PERFORMED, _RESTRICTED = _CODE["court.judgment_performed"], _CODE["court.consumption_restricted"]
_TYPES = pl.Series([kind.type for kind in _KINDS])
_SOURCES = pl.Series(sorted({kind.source for kind in _KINDS}))  # "" (a void's) sorts first
_SOURCE_CODE = np.array([_SOURCES.to_list().index(kind.source) for kind in _KINDS])
# The listed rates sum to about 7 a year; this brings the default stream to about 10.
_CALIBRATION = 1.5
# Sigma of each mean-1 lognormal propensity: larger means a few people have many more events.
_PROPENSITY_SIGMAS = {"driving": 0.9, "blood": 1.2, "volunteering": 1.5, "giving": 1.0}
_ACT_SHARE, _SUSPENDED_SHARE, _PERFORMED_SHARE, _VOID_SHARE = 0.05, 0.25, 0.4, 0.005
_LEVELS = pl.Series(["national", "provincial", "prefecture", "county"])
_LEVEL_SHARES = (0.02, 0.08, 0.25, 0.65)
_VOID_REASON = "reported in error"


def _lognormal_cny(
    median: float, sigma: float, low: float, high: float, step: float
) -> Callable[[np.random.Generator, int], Floats]:
    def draw(rng: np.random.Generator, size: int) -> Floats:
        amounts = rng.lognormal(math.log(median), sigma, size)
        return np.clip(np.round(amounts / step) * step, low, high)

    return draw


def _fine_amounts(rng: np.random.Generator, size: int) -> Floats:
    # Mostly on-the-spot fines of 50-3000; a few percent are large penalties up to 20000.
    amounts = _lognormal_cny(200, 0.8, 50, 3000, 10)(rng, size)
    large = np.flatnonzero(rng.random(size) < 0.03)
    amounts[large] = _lognormal_cny(3000, 0.9, 500, 20000, 100)(rng, large.size)
    return amounts


def _months(rng: np.random.Generator, size: int) -> Floats:
    return np.minimum(rng.geometric(0.3, size), 12).astype(np.float64)


def _hours(rng: np.random.Generator, size: int) -> Floats:
    return rng.integers(1, 9, size).astype(np.float64)


# The numeric datum each kind carries: (column, draw).
_NUMERIC_DATA: dict[int, tuple[str, Callable[[np.random.Generator, int], Floats]]] = {
    _FINE: ("amount_cny", _fine_amounts),
    _CODE["civic.donation"]: ("amount_cny", _lognormal_cny(300, 1.1, 50, 20000, 10)),
    _CODE["finance.loan_arrears"]: ("months", _months),
    _CODE["civic.lost_property_returned"]: ("value_cny", _lognormal_cny(600, 1.3, 10, 200000, 1)),
    _CODE["civic.volunteer_hours"]: ("hours", _hours),
}
_NUMERIC = ("amount_cny", "months", "value_cny", "hours")
_KIND_BITS = 5


@dataclass(frozen=True)
class _Keys:
    """Sort keys: one int64 per event packing (local second, kind code, subject row).

    Sorting the keys sorts the events by time (a void after its target in the same second,
    since void has the highest code) and needs no gathers afterwards: every dense attribute
    unpacks from the key.
    """

    subject_bits: int

    @staticmethod
    def fitting(people: int, span: int) -> _Keys:
        keys = _Keys(max(people - 1, 1).bit_length())
        if span.bit_length() + _KIND_BITS + keys.subject_bits > 63:
            raise ValueError(f"{people} people over {span // _DAY} days do not fit a sort key")
        return keys

    def pack(self, at: Ints, kind: int | Ints, subject: Ints) -> Ints:
        keys: Ints = np.left_shift(kind, self.subject_bits) | subject
        return keys | np.left_shift(at, _KIND_BITS + self.subject_bits)

    def at(self, keys: Ints) -> Ints:
        at: Ints = np.right_shift(keys, _KIND_BITS + self.subject_bits)
        return at

    def kind(self, keys: Ints) -> npt.NDArray[np.uint8]:
        kind: npt.NDArray[np.uint8] = np.right_shift(keys, self.subject_bits).astype(np.uint8)
        kind &= 2**_KIND_BITS - 1
        return kind

    def subject(self, keys: Ints) -> Ints:
        subject: Ints = keys & (2**self.subject_bits - 1)
        return subject

    def with_kind(self, keys: Ints, kind: int) -> Ints:
        others: Ints = keys & ~((2**_KIND_BITS - 1) << self.subject_bits)
        return others | (kind << self.subject_bits)


@dataclass(frozen=True)
class _Linked:
    """Follow-up events and the keys of the events they follow (performed -> listing,
    void -> target), aligned with the follow-ups in time order."""

    keys: Ints
    links: Ints

    @staticmethod
    def of(keys: Ints, links: Ints) -> _Linked:
        order = np.argsort(keys, kind="stable")
        return _Linked(keys[order], links[order])


# --- events ------------------------------------------------------------------------------------


def synthetic_events(
    population: Population,
    *,
    seed: int | np.random.Generator,
    start: date,
    days: int,
    rate: float = 1.0,
) -> pl.DataFrame:
    """Events for `population` over `days` days from `start` (local time), sorted by time.

    `rate` multiplies every kind's rate; 1.0 gives about 10 events per person per year. The
    columns and dtypes are `EVENT_SCHEMA`; data columns are null unless the type uses them.
    """
    if days < 1 or rate < 0:
        raise ValueError(f"need days >= 1 and rate >= 0, not days={days}, rate={rate}")
    rng = _generator(seed, stream=1)
    span = days * _DAY
    packing = _Keys.fitting(len(population), span)
    adult_at = _adult_at(population.people.get_column("birth_date"), start)
    drawn = _draw_kinds(rng, packing, adult_at, span, rate * days / 365.25)
    drawn.append(_act_companions(rng, packing, drawn[_FINE]))
    performed = _performances(rng, packing, drawn[_LISTED], span)
    base = np.concatenate([*drawn, performed.keys])
    voids = _voids(rng, packing, base, span)
    keys = np.sort(np.concatenate([base, voids.keys]))
    del drawn, base
    frame = _Frame(rng, packing, keys, start, days)
    return frame.build(population, {_PERFORMED: performed, _VOID: voids})


def _adult_at(births: pl.Series, start: date) -> Ints:
    # Seconds from the period start to the 18th birthday (local midnight).
    adult = births.to_frame().select(adult_from(pl.col("birth_date"))).to_series()
    return (adult.cast(pl.Int64).to_numpy() - _epoch_day(start)) * _DAY


def _draw_kinds(
    rng: np.random.Generator, packing: _Keys, adult_at: Ints, span: int, years: float
) -> list[Ints]:
    # Keys of each kind that has a rate, in code order; minors' events are thinned.
    n = adult_at.size
    sigmas = _PROPENSITY_SIGMAS
    propensity = {name: rng.lognormal(-(s**2) / 2, s, n) for name, s in sigmas.items()}
    drawn = []
    for code, kind in enumerate(_KINDS[:_ACT_WARNING]):
        weights = propensity.get(kind.propensity or "")
        subject = _subjects(rng, kind.rate * _CALIBRATION * years, weights, n)
        at = rng.integers(0, span, subject.size)
        if kind.minor_factor < 1:
            minor = np.flatnonzero(at < adult_at[subject])
            kept = np.ones(subject.size, dtype=bool)
            kept[minor[rng.random(minor.size) >= kind.minor_factor]] = False
            subject, at = subject[kept], at[kept]
        drawn.append(packing.pack(at, code, subject))
    return drawn


def _subjects(rng: np.random.Generator, mean: float, weights: Floats | None, n: int) -> Ints:
    # Each person's count is Poisson(mean * weight); weights have mean 1 (None: all 1).
    if weights is not None and mean >= 1:
        return np.repeat(np.arange(n), rng.poisson(mean * weights))
    count = rng.poisson(mean * n) if n else 0
    if weights is None:
        return rng.integers(0, max(n, 1), count)
    # Rare kinds: place the (Poisson) total on people in proportion to their weights.
    cumulative = np.cumsum(weights)
    placed: Ints = np.searchsorted(cumulative, rng.random(count) * cumulative[-1], side="right")
    return placed


def _act_companions(rng: np.random.Generator, packing: _Keys, fines: Ints) -> Ints:
    # A few fines come with a warning or a suspension for the same act, at the same moment.
    chosen = fines[rng.random(fines.size) < _ACT_SHARE]
    kind = np.where(rng.random(chosen.size) < _SUSPENDED_SHARE, _ACT_SUSPENSION, _ACT_WARNING)
    return packing.pack(packing.at(chosen), kind, packing.subject(chosen))


def _performances(rng: np.random.Generator, packing: _Keys, listed: Ints, span: int) -> _Linked:
    # Some listed defaulters perform the judgment 1-180 days later, still inside the period.
    room = span - 1 - packing.at(listed)
    chosen = np.flatnonzero((rng.random(listed.size) < _PERFORMED_SHARE) & (room >= _DAY))
    longest = np.minimum(room[chosen], 180 * _DAY)
    delay = _DAY + (rng.random(chosen.size) * (longest - _DAY + 1)).astype(np.int64)
    at = packing.at(listed[chosen]) + delay
    keys = packing.pack(at, _PERFORMED, packing.subject(listed[chosen]))
    return _Linked.of(keys, listed[chosen])


def _voids(rng: np.random.Generator, packing: _Keys, base: Ints, span: int) -> _Linked:
    # A few events are withdrawn by their source 1-7 days later (clipped to the period end).
    targets = base[rng.choice(base.size, rng.binomial(base.size, _VOID_SHARE), replace=False)]
    delay = rng.integers(_DAY, 7 * _DAY, targets.size)
    at = np.minimum(packing.at(targets) + delay, span - 1)
    return _Linked.of(packing.pack(at, _VOID, packing.subject(targets)), targets)


# --- frame -------------------------------------------------------------------------------------


class _Frame:
    """Events in time order (positions), unpacked from sorted keys, built into the frame."""

    def __init__(
        self, rng: np.random.Generator, packing: _Keys, keys: Ints, start: date, days: int
    ) -> None:
        self.rng, self.packing, self.keys = rng, packing, keys
        self.start, self.days, self.size = start, days, keys.size
        self.kind = packing.kind(keys)
        by_kind = np.argsort(self.kind, kind="stable")
        bounds = np.r_[0, np.cumsum(np.bincount(self.kind, minlength=len(_KINDS)))]
        self.positions = [by_kind[bounds[c] : bounds[c + 1]] for c in range(len(_KINDS))]
        self.source = _SOURCE_CODE[self.kind]
        self.width = max(8, len(str(self.size)))  # id digits; 8 keep an id inline (12 bytes)

    def build(self, population: Population, linked: dict[int, _Linked]) -> pl.DataFrame:
        sparse = {
            "act": self._acts(),
            "level": self._levels(),
            "case_no": self._cases(linked[_PERFORMED]),
            **self._voids(linked[_VOID]),
            "years": pl.repeat(None, self.size, dtype=pl.Float64, eager=True),
        }
        dense = pl.DataFrame(
            {
                "kind": self.kind,
                "source": self.source,
                "subject": self.packing.subject(self.keys),
                "value": self._values(),
            }
        )
        columns = dense.lazy().select(
            _id_labels(pl.int_range(0, pl.len()), self.width).alias("id"),
            pl.lit(_SOURCES).gather(pl.col("source")).alias("source"),
            pl.lit(population.people.get_column("subject")).gather(pl.col("subject")),
            pl.lit(_TYPES).gather(pl.col("kind")).alias("type"),
            pl.lit(self._utc()).alias("occurred_at"),
            *(_numeric(name) for name in _NUMERIC),
        )
        return columns.collect().with_columns(**sparse).select(EVENT_SCHEMA.names())

    def _values(self) -> Floats:
        # Data are drawn here, in time order: independent of the event, so nothing changes.
        values = np.full(self.size, np.nan)
        for code, (_, draw) in _NUMERIC_DATA.items():
            values[self.positions[code]] = draw(self.rng, self.positions[code].size)
        return values

    def _levels(self) -> pl.Series:
        where = self.positions[_CODE["civic.award"]]
        drawn = self.rng.choice(_LEVELS.len(), where.size, p=_LEVEL_SHARES)
        return self._scatter([(where, _LEVELS.gather(drawn))])

    def _acts(self) -> pl.Series:
        # Acts are numbered in time order; each companion finds its fine by key.
        where = np.sort(np.r_[self.positions[_ACT_WARNING], self.positions[_ACT_SUSPENSION]])
        fines = np.searchsorted(self.keys, self.packing.with_kind(self.keys[where], _FINE))
        labels = "act-" + pl.Series(np.arange(1, where.size + 1)).cast(pl.String)
        return self._scatter([(where, labels), (fines, labels)])

    def _cases(self, performed: _Linked) -> pl.Series:
        # Case numbers count up in time order within each calendar year; a performance
        # carries the number of the listing it follows.
        where = np.sort(np.r_[self.positions[_LISTED], self.positions[_RESTRICTED]])
        year = _local_years(self.packing.at(self.keys[where]), self.start)
        number = np.arange(where.size) - np.searchsorted(year, year) + 1
        cases = pl.DataFrame({"year": year, "number": number})
        names = cases.select(pl.format("({})鲁1003执{}号", "year", "number")).to_series()
        listings = np.searchsorted(where, np.searchsorted(self.keys, performed.links))
        return self._scatter([(where, names), (self.positions[_PERFORMED], names.gather(listings))])

    def _voids(self, voids: _Linked) -> dict[str, pl.Series]:
        # A void names its target by id and comes from the target's source.
        where = self.positions[_VOID]
        targets = np.searchsorted(self.keys, voids.links)
        self.source[where] = self.source[targets]
        ids = pl.select(_id_labels(pl.lit(pl.Series(targets)), self.width)).to_series()
        reasons = pl.repeat(_VOID_REASON, where.size, eager=True)
        return {
            "target": self._scatter([(where, ids)]),
            "reason": self._scatter([(where, reasons)]),
        }

    def _scatter(self, parts: list[tuple[npt.NDArray[np.integer[Any]], pl.Series]]) -> pl.Series:
        where = np.concatenate([positions for positions, _ in parts])
        values = pl.concat([values for _, values in parts])
        empty = pl.repeat(None, self.size, dtype=pl.String, eager=True)
        return empty.scatter(where, values) if where.size else empty

    def _utc(self) -> pl.Series:
        # Local seconds to UTC, with the zone's offset looked up per local hour.
        first = datetime(self.start.year, self.start.month, self.start.day)
        last = first + timedelta(days=self.days)
        hours = pl.datetime_range(first, last, "1h", closed="left", time_unit="us", eager=True)
        # A local hour skipped by a clock change (Shanghai had summer time in 1986-1991)
        # takes the offset of the hour before it; a repeated hour takes the earlier offset.
        zoned = hours.dt.replace_time_zone(_LOCAL_ZONE, ambiguous="earliest", non_existent="null")
        utc = zoned.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        offset = (hours - utc).dt.total_seconds().fill_null(strategy="forward").fill_null(8 * 3600)
        at = self.packing.at(self.keys)
        offsets = offset.to_numpy().astype(np.int64)
        shift = offsets[at // 3600] if np.ptp(offsets) else offsets[0]  # constant since 1991
        seconds = at + _epoch_day(self.start) * _DAY - shift
        return pl.Series("occurred_at", seconds * 1_000_000).cast(EVENT_SCHEMA["occurred_at"])


def _numeric(name: str) -> pl.Expr:
    codes = [code for code, (column, _) in _NUMERIC_DATA.items() if column == name]
    return pl.when(pl.col("kind").is_in(codes)).then(pl.col("value")).alias(name)


def _id_labels(index: pl.Expr, width: int) -> pl.Expr:
    # "syn-00000001" for position 0: fixed width, so that ids sort like the events they name.
    digits = (index + (1 + 10**width)).cast(pl.String).str.slice(1)
    return pl.concat_str(pl.lit("syn-"), digits)


# --- wire format -------------------------------------------------------------------------------


def wire_records(events: pl.DataFrame) -> list[dict[str, object]]:
    """DESIGN.md wire-format dicts for a small events frame (a Python loop: not for bulk).

    `occurred_at` is ISO 8601 in Shanghai time (+08:00); `act` is left out when null; `data`
    holds the non-null data columns, whole numbers as int.
    """
    zone = ZoneInfo(_LOCAL_ZONE)
    fields = [name for name in _DATA_FIELDS if name in events.columns]
    records: list[dict[str, object]] = []
    for row in events.iter_rows(named=True):
        record = {key: row[key] for key in ("id", "source", "subject", "type")}
        record["occurred_at"] = row["occurred_at"].astimezone(zone).isoformat()
        record["jurisdiction"] = _JURISDICTION
        if row.get("act") is not None:
            record["act"] = row["act"]
        data = {name: _wire_value(row[name]) for name in fields if row[name] is not None}
        records.append({**record, "data": data})
    return records


def _wire_value(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# --- time and randomness -----------------------------------------------------------------------


def _generator(seed: int | np.random.Generator, *, stream: int) -> np.random.Generator:
    # Population and events draw from distinct streams even when given the same integer seed.
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng([stream, seed])


def _epoch_day(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def _years_before(day: date, years: int) -> date:
    # The same calendar day `years` earlier; 29 February falls back to 28 February.
    if (day.month, day.day) == (2, 29):
        day = day.replace(day=28)
    return day.replace(year=day.year - years)


def _local_years(at: Ints, start: date) -> Ints:
    seconds = np.datetime64(datetime(start.year, start.month, start.day), "s") + at
    return seconds.astype("datetime64[Y]").astype(np.int64) + 1970
