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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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
    order = np.argsort(stem, kind="stable")
    ordered = stem[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    group = np.cumsum(starts) - 1
    rank = np.arange(stem.size) - np.flatnonzero(starts)[group]
    if rank.size and rank.max() >= 999:
        raise ValueError("too many people share a birth date and place for unique ID numbers")
    offset = rng.integers(0, 999, group.size and int(group[-1]) + 1)[group]
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
_CASE_YEAR = 1_000_000  # a case tag packs year * _CASE_YEAR + number within the year


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


def _levels(rng: np.random.Generator, size: int) -> Ints:
    return rng.choice(_LEVELS.len(), size, p=_LEVEL_SHARES)


# The datum each kind carries: (column, draw). Case numbers are drawn by `_number_cases`.
_DATA: dict[int, tuple[str, Callable[[np.random.Generator, int], npt.NDArray[Any]]]] = {
    _FINE: ("amount_cny", _fine_amounts),
    _CODE["civic.donation"]: ("amount_cny", _lognormal_cny(300, 1.1, 50, 20000, 10)),
    _CODE["finance.loan_arrears"]: ("months", _months),
    _CODE["civic.lost_property_returned"]: ("value_cny", _lognormal_cny(600, 1.3, 10, 200000, 1)),
    _CODE["civic.volunteer_hours"]: ("hours", _hours),
    _CODE["civic.award"]: ("level", _levels),
}
_NUMERIC = ("amount_cny", "months", "value_cny", "hours")


@dataclass(frozen=True)
class _Batch:
    """Events of one kind code before sorting: subjects, local times and data by column.

    Integer data are codes rendered later (level, case, act, void target); -1 means none.
    """

    kind: int
    subject: Ints  # row in the population
    at: Ints  # seconds since the period start, local time
    data: dict[str, npt.NDArray[Any]] = field(default_factory=dict)

    def take(self, rows: Ints, kind: int | None = None) -> _Batch:
        data = {name: values[rows] for name, values in self.data.items()}
        return _Batch(self.kind if kind is None else kind, self.subject[rows], self.at[rows], data)


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
    adult_at = _adult_at(population.people.get_column("birth_date"), start)
    batches = _draw_kinds(rng, adult_at, span, rate * days / 365.25)
    _number_cases(batches[_LISTED], batches[_RESTRICTED], start)
    batches[_PERFORMED] = _performances(rng, batches[_LISTED], span)
    batches += _act_companions(rng, batches[_FINE])
    batches.append(_voids(rng, batches, span))
    return _frame(batches, population, start, days)


def _adult_at(births: pl.Series, start: date) -> Ints:
    # Seconds from the period start to the 18th birthday (local midnight).
    adult = births.to_frame().select(adult_from(pl.col("birth_date"))).to_series()
    return (adult.cast(pl.Int64).to_numpy() - _epoch_day(start)) * _DAY


def _draw_kinds(rng: np.random.Generator, adult_at: Ints, span: int, years: float) -> list[_Batch]:
    # One batch per kind with a rate, in code order; minors' events thinned by the kind's factor.
    n = adult_at.size
    sigmas = _PROPENSITY_SIGMAS
    propensity = {k: rng.lognormal(-(s**2) / 2, s, n) for k, s in sigmas.items()}
    batches = []
    for code, kind in enumerate(_KINDS[:_ACT_WARNING]):
        mean = kind.rate * _CALIBRATION * years
        if kind.propensity is not None:
            subject = np.repeat(np.arange(n), rng.poisson(mean * propensity[kind.propensity]))
        else:
            subject = rng.integers(0, max(n, 1), rng.poisson(mean * n) if n else 0)
        at = rng.integers(0, span, subject.size)
        minor = np.flatnonzero(at < adult_at[subject])
        dropped = minor[rng.random(minor.size) >= kind.minor_factor]
        kept = np.delete(np.arange(subject.size), dropped)
        batch = _Batch(code, subject[kept], at[kept])
        if code in _DATA:
            column, draw = _DATA[code]
            batch.data[column] = draw(rng, kept.size)
        batches.append(batch)
    return batches


def _number_cases(listed: _Batch, restricted: _Batch, start: date) -> None:
    # Court case numbers count up in time order within each calendar year.
    at = np.concatenate([listed.at, restricted.at])
    order = np.argsort(at, kind="stable")
    year = _local_years(at[order], start)
    packed = np.empty_like(at)
    packed[order] = year * _CASE_YEAR + np.arange(at.size) - np.searchsorted(year, year) + 1
    listed.data["case_no"], restricted.data["case_no"] = np.split(packed, [listed.at.size])


def _performances(rng: np.random.Generator, listed: _Batch, span: int) -> _Batch:
    # Some listed defaulters perform the judgment 1-180 days later, still inside the period.
    room = span - 1 - listed.at
    chosen = np.flatnonzero((rng.random(room.size) < _PERFORMED_SHARE) & (room >= _DAY))
    longest = np.minimum(room[chosen], 180 * _DAY)
    delay = _DAY + (rng.random(chosen.size) * (longest - _DAY + 1)).astype(np.int64)
    performed = listed.take(chosen, _PERFORMED)
    performed.at[:] += delay
    return performed


def _act_companions(rng: np.random.Generator, fines: _Batch) -> list[_Batch]:
    # A few fines come with a warning or a suspension for the same act, at the same moment.
    chosen = np.flatnonzero(rng.random(fines.at.size) < _ACT_SHARE)
    act = np.full(fines.at.size, -1)
    act[chosen] = np.arange(chosen.size)
    fines.data["act"] = act
    suspended = rng.random(chosen.size) < _SUSPENDED_SHARE
    both = (chosen[~suspended], _ACT_WARNING), (chosen[suspended], _ACT_SUSPENSION)
    companions = [fines.take(rows, kind) for rows, kind in both]
    for companion in companions:
        del companion.data["amount_cny"]
    return companions


def _voids(rng: np.random.Generator, batches: list[_Batch], span: int) -> _Batch:
    # A few events are withdrawn by their source 1-7 days later (clipped to the period end).
    # `target` holds the target's row in all batches laid end to end.
    subject = np.concatenate([batch.subject for batch in batches])
    at = np.concatenate([batch.at for batch in batches])
    chosen = np.sort(rng.choice(at.size, rng.binomial(at.size, _VOID_SHARE), replace=False))
    later = np.minimum(at[chosen] + rng.integers(_DAY, 7 * _DAY, chosen.size), span - 1)
    return _Batch(_VOID, subject[chosen], later, {"target": chosen, "reason": chosen})


# --- frame -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sorted:
    """All batches laid end to end (rows), then put in time order (positions)."""

    kind: npt.NDArray[np.uint8]  # kind code by position
    subject: Ints  # population row by position
    at: Ints  # local seconds since the period start, by position
    order: Ints  # row at each position
    keys: Ints  # sort key at each position, ascending
    row_at: Ints  # local seconds by row
    row_bits: int

    @staticmethod
    def of(batches: Sequence[_Batch]) -> _Sorted:
        kind = np.concatenate([np.full(b.at.size, b.kind, dtype=np.uint8) for b in batches])
        at = np.concatenate([batch.at for batch in batches])
        # One sort of packed (time, void bit, row) keys: several times faster than an argsort.
        row_bits = max(at.size.bit_length(), 1)
        keys = np.sort(_sort_keys(at, kind == _VOID, np.arange(at.size), row_bits))
        order = keys & ((1 << row_bits) - 1)
        subject = np.concatenate([batch.subject for batch in batches])[order]
        return _Sorted(kind[order], subject, at[order], order, keys, at, row_bits)

    def positions(self, rows: Ints) -> Ints:
        """Sorted positions of rows that are not voids."""
        keys = _sort_keys(self.row_at[rows], np.zeros(rows.size, dtype=bool), rows, self.row_bits)
        return np.searchsorted(self.keys, keys)


def _sort_keys(at: Ints, void: npt.NDArray[np.bool_], rows: Ints, row_bits: int) -> Ints:
    # A void can share its target's second (when clipped to the period end): it sorts after.
    if at.size and (int(at.max()) * 2 + 2).bit_length() + row_bits > 63:
        raise ValueError("too many events over too long a period to sort")
    return ((at * 2 + void) << row_bits) | rows


def _frame(batches: list[_Batch], population: Population, start: date, days: int) -> pl.DataFrame:
    events = _Sorted.of(batches)
    width = _id_width(events.at.size)
    source = _SOURCE_CODE[events.kind]
    sparse = _sparse_columns(batches, events, source, width)
    dense = pl.DataFrame(
        {"kind": events.kind, "source": source, "subject": events.subject, "value": sparse.pop("")}
    )
    columns = dense.lazy().select(
        _id_labels(pl.int_range(0, pl.len()), width).alias("id"),
        pl.lit(_SOURCES).gather(pl.col("source")).alias("source"),
        pl.lit(population.people.get_column("subject")).gather(pl.col("subject")),
        pl.lit(_TYPES).gather(pl.col("kind")).alias("type"),
        pl.lit(_utc(events.at, start, days)).alias("occurred_at"),
        *(_numeric(name) for name in _NUMERIC),
    )
    return columns.collect().with_columns(**sparse).select(EVENT_SCHEMA.names())


def _numeric(name: str) -> pl.Expr:
    codes = [code for code, (column, _) in _DATA.items() if column == name]
    return pl.when(pl.col("kind").is_in(codes)).then(pl.col("value")).alias(name)


def _sparse_columns(
    batches: Sequence[_Batch], events: _Sorted, source: Ints, width: int
) -> dict[str, pl.Series]:
    # Scatter each batch's data to its events' sorted positions. Sets `source` for voids, and
    # returns the numeric data as one dense array under "" (split by kind later).
    size = events.at.size
    by_kind = np.argsort(events.kind, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(events.kind, minlength=len(_KINDS)))]
    firsts = np.r_[0, np.cumsum([batch.at.size for batch in batches])]
    value = np.full(size, np.nan)
    found: dict[str, list[tuple[Ints, pl.Series]]] = {}
    for first, batch in zip(firsts, batches, strict=False):
        where = by_kind[bounds[batch.kind] : bounds[batch.kind + 1]]
        rows = events.order[where] - first
        for name, values in batch.data.items():
            if name in _NUMERIC:
                value[where] = values[rows]
            elif name == "target":
                targets = events.positions(values[rows])
                source[where] = source[targets]  # a void comes from its target's source
                found[name] = [(where, _id_strings(targets, width))]
            else:
                present = values[rows] >= 0
                rendered = _render(name, values[rows][present])
                found.setdefault(name, []).append((where[present], rendered))
    columns = {name: _scatter(size, parts) for name, parts in found.items()}
    columns.setdefault("years", pl.repeat(None, size, dtype=pl.Float64, eager=True))
    return {**columns, "": pl.Series(value)}


def _render(name: str, codes: Ints) -> pl.Series:
    if name == "level":
        return _LEVELS.gather(codes)
    if name == "case_no":
        cases = pl.DataFrame({"year": codes // _CASE_YEAR, "number": codes % _CASE_YEAR})
        return cases.select(pl.format("({})鲁1003执{}号", "year", "number")).to_series()
    if name == "act":
        return "act-" + pl.Series(codes + 1).cast(pl.String)
    return pl.repeat(_VOID_REASON, codes.size, eager=True)  # reason


def _scatter(size: int, parts: list[tuple[Ints, pl.Series]]) -> pl.Series:
    positions = np.concatenate([where for where, _ in parts])
    values = pl.concat([values for _, values in parts])
    return pl.repeat(None, size, dtype=values.dtype, eager=True).scatter(positions, values)


def _id_labels(index: pl.Expr, width: int) -> pl.Expr:
    # "syn-00000001" for index 0, fixed width so that ids sort like the events they name; 8
    # digits keep an id within 12 bytes, which Polars stores inline (much faster to build).
    digits = (index + (1 + 10**width)).cast(pl.String).str.slice(1)
    return pl.concat_str(pl.lit("syn-"), digits)


def _id_strings(positions: Ints, width: int) -> pl.Series:
    return pl.select(_id_labels(pl.lit(pl.Series(positions)), width)).to_series()


def _id_width(size: int) -> int:
    return max(8, len(str(size)))


def _utc(at: Ints, start: date, days: int) -> pl.Series:
    # Local seconds to UTC, with the zone's offset looked up per local hour.
    first = datetime(start.year, start.month, start.day)
    hours = pl.datetime_range(
        first, first + timedelta(days=days), "1h", closed="left", time_unit="us", eager=True
    )
    # A local hour skipped by a clock change (Shanghai had summer time in 1986-1991) takes
    # the offset of the hour before it; a repeated hour takes the earlier offset.
    zoned = hours.dt.replace_time_zone(_LOCAL_ZONE, ambiguous="earliest", non_existent="null")
    utc = zoned.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    offset = (hours - utc).dt.total_seconds().fill_null(strategy="forward").fill_null(8 * 3600)
    local = at + _epoch_day(start) * _DAY
    micros = (local - offset.to_numpy()[at // 3600]) * 1_000_000
    return pl.Series("occurred_at", micros).cast(EVENT_SCHEMA["occurred_at"])


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
