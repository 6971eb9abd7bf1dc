"""The event frame the kernel reads, and its preparation: voids, local time, rule, order.

Columns: `id`, `source`, `subject`, `type` (strings), `occurred_at` (a timezone-aware
Datetime), optional `act` (string), optional `birth_date` (Date; when absent and the plan
scores people, birth dates come from resident ID numbers, so minors are never left
unprotected), and one column per data field the rulebook reads (numbers as Float64, text as
String). Void events carry their target's id in a `target` column. An event whose penalty a
credit repair ended carries the approval's moment in an optional `repaired_at` (aware
Datetime) and the application in `repaired_by` (string); null where there is none. Under an
opt-in plan a consent event may name its scheme in a `rulebook` column: consent to another
scheme does not count.

Preparation never reorders or copies the wide frame: it adds narrow columns in input order
and computes the processing order (`kernel.order`) as row numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt
import polars as pl

from socialcredit.kernel.compiled import in_parallel
from socialcredit.kernel.order import Order, bucket_bits, ordered, tied
from socialcredit.kernel.scan import DAY, NEVER
from socialcredit.kernel.tables import RuleTable
from socialcredit.rules.plan import VOID, Plan

__all__ = ["REQUIRED", "Prepared", "local_time", "prepare_events", "subject_hashes"]

REQUIRED = ("id", "source", "subject", "type", "occurred_at")
# Seeds of the two independent subject hashes (any fixed pair will do).
_SEEDS = (0x5EED, 0xC0FFEE)
_HOUR = 3_600_000_000
_VOID_CODE = -2  # the type code of voids, unless a rule is on them
_MOST_HOURS = 24 * 366 * 200  # a span of hours worth checking one by one

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def local_time(moment: pl.Expr, timezone: str) -> pl.Expr:
    """Aware datetimes as naive wall-clock time in the rulebook's timezone, in microseconds."""
    return moment.dt.convert_time_zone(timezone).dt.replace_time_zone(None).dt.cast_time_unit("us")


def subject_hashes(subject: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Two independent 64-bit hashes of subject identifiers (stable within one process)."""
    return subject.hash(_SEEDS[0]), subject.hash(_SEEDS[1])


@dataclass(frozen=True)
class Prepared:
    """The input (plus the fields the plan reads) and what the kernel computes on.

    Per row, in input order: `t` (local time), `seg`, `type_code` (the rule table's code of
    the type; -1: not a rule's type, -2: a void), `withdrawn` (a void took it back), `key`
    (the rule key; -1: no rule, a void, or withdrawn), `rule` (the code of that rule's id,
    shared by its versions) and `position` (the row's place in the processing order, -1 for
    rows without a rule). Per position of the processing order (subject, rule,
    local time, source, id): `order` (the row), `code` (the subject's code, 0, 1, ...),
    `sorted_key`, `sorted_rule` and `sorted_t`; `sorted_repaired` is the local time a credit
    repair ended the event's penalty (NEVER for none).
    """

    events: pl.DataFrame
    t: I64
    seg: I64
    type_code: I64
    withdrawn: npt.NDArray[np.bool_]
    key: I64
    rule: I64
    position: I64
    order: I64
    code: I64
    sorted_key: I64
    sorted_rule: I64
    sorted_t: I64
    sorted_repaired: I64


def _check(events: pl.DataFrame) -> None:
    missing = [c for c in REQUIRED if c not in events.columns]
    if missing:
        raise ValueError(f"event frame lacks columns: {', '.join(missing)}")
    dtype = events.schema["occurred_at"]
    if not isinstance(dtype, pl.Datetime) or dtype.time_zone is None:
        raise ValueError("occurred_at must be a timezone-aware Datetime column")


def _with_fields(events: pl.DataFrame, table: RuleTable) -> pl.DataFrame:
    wanted: dict[str, pl.DataType] = dict.fromkeys(table.numeric_fields(), pl.Float64())
    wanted.update(dict.fromkeys([*table.text_fields(), "act", "target"], pl.String()))
    events = events.with_columns(
        (pl.col(name).cast(dtype) if name in events.columns else pl.lit(None, dtype=dtype)).alias(
            name
        )
        for name, dtype in wanted.items()
    )
    # Columns cut into different chunks make every later select realign the whole frame.
    return events if len(set(events.n_chunks("all"))) == 1 else events.rechunk()


def _local_microseconds(events: pl.DataFrame, timezone: str) -> I64:
    """Each row's local wall-clock time in microseconds since 1970.

    Where the zone's offset is the same at every hour of the data's span (China's has been
    since 1991), that offset is added to the UTC instants, which costs nothing; otherwise
    Polars converts row by row.
    """
    moment = events.get_column("occurred_at").dt.cast_time_unit("us")
    if moment.null_count() == 0 and moment.len() > 0:
        utc = moment.to_physical().to_numpy()
        first, last = int(utc.min()) // _HOUR, int(utc.max()) // _HOUR + 1
        if last - first <= _MOST_HOURS:
            grid = pl.Series(np.arange(first, last + 1, dtype=np.int64) * _HOUR)
            shifted = (
                grid.cast(pl.Datetime("us", "UTC"))
                .to_frame("g")
                .select(local_time(pl.col("g"), timezone).cast(pl.Int64))
            )
            offsets = shifted.to_series().to_numpy() - grid.to_numpy()
            if (offsets == offsets[0]).all():
                return np.asarray(utc + offsets[0], np.int64)
    local = events.select(local_time(pl.col("occurred_at"), timezone).cast(pl.Int64))
    return np.asarray(local.to_series().to_numpy(), np.int64)


@in_parallel
def _keyed(
    t: I64, type_code: I64, withdrawn: Bools, starts: I64, key_of: I64, rule_of: I64, out: I64
) -> None:
    """Per row, into the rows of `out`: the plan segment in force on its local day (-1: before
    all), its rule key and the code of that rule's id (-1 and -1: no rule, or withdrawn)."""
    seg, key, rule = out[0], out[1], out[2]
    for i in numba.prange(t.shape[0]):
        day = t[i] // DAY
        s = starts.shape[0] - 1
        while s >= 0 and starts[s] > day:
            s -= 1
        seg[i] = s
        k = -1
        if s >= 0 and type_code[i] >= 0 and not withdrawn[i]:
            k = key_of[s, type_code[i]]
        key[i] = k
        rule[i] = rule_of[k] if k >= 0 else -1


def _keys(t: I64, type_code: I64, withdrawn: Bools, table: RuleTable) -> tuple[I64, I64, I64]:
    """Per row: segment, rule key and rule code (see `_keyed`)."""
    starts = pl.Series(table.starts, dtype=pl.Date).cast(pl.Int64).to_numpy()
    out = np.empty((3, t.size), np.int64)
    _keyed(t, type_code, withdrawn, starts, table.key_of, table.rule_of, out)
    return out[0], out[1], out[2]


@in_parallel
def _placed(order: I64, key: I64, position: I64, sorted_key: I64) -> None:
    """Each ordered row's position, and each position's rule key."""
    for j in numba.prange(order.shape[0]):
        position[order[j]] = j
        sorted_key[j] = key[order[j]]


def _voided(events: pl.DataFrame, void_rows: I64) -> I64:
    """Rows withdrawn by a void (one of `void_rows`) from the same source."""
    if void_rows.size == 0:
        return np.empty(0, np.int64)
    voids = events.select("source", id=pl.col("target")).gather(void_rows)
    named = events.get_column("id").is_in(voids.get_column("id").implode())
    maybe = np.flatnonzero(named.fill_null(False).to_numpy())
    candidates = events.select("source", "id").gather(maybe).with_columns(_row=maybe)
    hit = candidates.join(voids, on=["source", "id"], how="semi").get_column("_row")
    return hit.to_numpy().astype(np.int64)


def _order(events: pl.DataFrame, live: I64, rule: I64, t: I64) -> Order:
    """The processing order of the `live` rows; `rule` and `t` are per row."""
    first, second = subject_hashes(pl.col("subject"))
    hashes = events.select(first.alias("h"), second.alias("check"))
    h, check = hashes.get_column("h").to_numpy(), hashes.get_column("check").to_numpy()
    bits = bucket_bits(live.size)
    order, code, distinct, rules, times = ordered(h, check, rule, t, bits, live)
    if not distinct:  # two subjects share a 64-bit hash: fall back to exact codes
        column = events.get_column("subject")
        exact = column.cast(pl.Categorical).to_physical().cast(pl.UInt64).to_numpy()
        order, code, distinct, rules, times = ordered(exact, exact, rule, t, bits, live)
    ties = tied(code, rules, times)
    if ties.size:
        order[ties] = _by_event_keys(events, order[ties], code[ties], rules[ties], times[ties])
    return order, code, distinct, rules, times


def _by_event_keys(events: pl.DataFrame, rows: I64, code: I64, rule: I64, t: I64) -> I64:
    """Rows in runs of equal (subject, rule, time), put in (source, id) order within each run.

    The runs already follow one another by (code, rule, t), so sorting on those and then the
    event keys keeps every run in its place.
    """
    keyed = events.select("source", "id").gather(rows)
    keyed = keyed.with_columns(_row=rows, _code=code, _rule=rule, _t=t)
    return keyed.sort("_code", "_rule", "_t", "source", "id").get_column("_row").to_numpy()


def prepare_events(events: pl.DataFrame, plan: Plan, table: RuleTable) -> Prepared:
    """Fields added; local time, segment and type and rule key per row; the processing order."""
    _check(events)
    events = _with_fields(events, table)
    t = _local_microseconds(events, plan.timezone)
    void = table.types.get(VOID, _VOID_CODE)
    type_code = (
        events.get_column("type")
        .replace_strict({VOID: void, **table.types}, default=-1, return_dtype=pl.Int64)
        .to_numpy()
    )
    withdrawn = np.zeros(events.height, np.bool_)
    withdrawn[_voided(events, np.flatnonzero(type_code == void))] = True
    seg, key, rule = _keys(t, type_code, withdrawn, table)
    live = np.flatnonzero(key >= 0)
    order, code, _, sorted_rule, sorted_t = _order(events, live, rule, t)
    position = np.full(events.height, -1, np.int64)
    sorted_key = np.empty(order.size, np.int64)
    _placed(order, key, position, sorted_key)
    repaired = np.full(order.size, NEVER, np.int64)
    if "repaired_at" in events.columns:
        marked = np.flatnonzero(events.get_column("repaired_at").is_not_null().to_numpy())
        marked = marked[position[marked] >= 0]
        moments = events.select(pl.col("repaired_at").gather(marked)).rename(
            {"repaired_at": "occurred_at"}
        )
        repaired[position[marked]] = _local_microseconds(moments, plan.timezone)
    return Prepared(
        events,
        t,
        seg,
        type_code,
        withdrawn,
        key,
        rule,
        position,
        order,
        code,
        sorted_key,
        sorted_rule,
        sorted_t,
        repaired,
    )
