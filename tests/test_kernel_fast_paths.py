"""The kernel's shortcuts give what the plain way gives: local time by a constant offset,
subjects found by hash, and the fallbacks when a shortcut does not apply."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcredit.kernel import standing
from socialcredit.kernel.entries import derive_entries
from socialcredit.kernel.frames import _local_microseconds, local_time
from socialcredit.kernel.groups import codes_of, most, new_table, total
from socialcredit.rules.plan import Plan
from tests.scenario import ADULT, MINOR, OTHER_ADULT, Scenario, at


def _slow(moments: pl.Series, timezone: str) -> list[int]:
    frame = moments.to_frame("occurred_at")
    return (
        frame.select(local_time(pl.col("occurred_at"), timezone).cast(pl.Int64))
        .to_series()
        .to_list()
    )


@pytest.mark.parametrize(
    ("timezone", "first"),
    [
        ("Asia/Shanghai", datetime(2019, 12, 30)),  # one offset throughout: the shortcut
        ("Asia/Shanghai", datetime(1986, 1, 1)),  # China kept summer time 1986 to 1991
        ("Europe/Berlin", datetime(2024, 1, 1)),
        ("America/St_Johns", datetime(2024, 1, 1)),  # half-hour offset with summer time
    ],
)
def test_local_time_equals_the_zone_conversion(timezone: str, first: datetime) -> None:
    rng = np.random.default_rng(7)
    start = int(first.replace(tzinfo=ZoneInfo("UTC")).timestamp() * 1_000_000)
    span = int(timedelta(days=800).total_seconds() * 1_000_000)
    utc = np.sort(start + rng.integers(0, span, 20_000))
    moments = pl.Series("occurred_at", utc).cast(pl.Datetime("us", "UTC"))
    fast = _local_microseconds(moments.to_frame(), timezone)
    assert fast.tolist() == _slow(moments, timezone)


def test_local_time_of_an_aware_column_in_another_zone() -> None:
    moments = pl.Series("occurred_at", [datetime(2024, 3, 1, 12)]).dt.replace_time_zone(
        "Europe/Paris"
    )
    local = _local_microseconds(moments.to_frame(), "Asia/Shanghai")
    expected = datetime(2024, 3, 1, 19)  # 11:00 UTC
    assert local.tolist() == [int((expected - datetime(1970, 1, 1)).total_seconds() * 1e6)]


def test_subject_codes_grow_the_table_and_tell_colliding_subjects() -> None:
    h = (np.arange(200_000, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) % np.uint64(70_000)
    table, codes, firsts, distinct = codes_of(new_table(), h, h, True)
    assert distinct
    assert firsts.size == 70_000
    assert (h[firsts][codes] == h).all()  # every row's code leads back to its own hash
    _, looked_up, _, _ = codes_of(table, np.array([h[5], 123_456_789], np.uint64), h[:2], False)
    assert looked_up[0] == codes[5]
    assert looked_up[1] == -1
    check = h.copy()
    check[-1] += np.uint64(1)  # same first hash as an earlier row, another subject
    assert not codes_of(new_table(), h, check, True)[3]


def test_sums_and_maxima_per_code_leave_out_uncoded_rows() -> None:
    codes = np.array([0, 1, 0, -1, 1], np.int64)
    values = np.array([5, -3, 2, 100, -1], np.int64)
    assert total(codes, values, 2).tolist() == [7, -4]
    assert most(codes, np.array([-1, 2, 0, 9, -1], np.int64), 2).tolist() == [0, 2]


def _scenario(wendeng: Plan) -> Scenario:
    s = Scenario(wendeng)
    s.add("traffic.fine", "2024-03-01", amount_cny=800)
    s.add("traffic.fine", "2024-03-02", amount_cny=800, subject=OTHER_ADULT)
    s.add("court.defaulter_listed", "2024-04-01", subject=OTHER_ADULT, case_no="(2024)1")
    s.add("traffic.fine", "2024-05-03", amount_cny=800, subject=MINOR)
    s.add("health.blood_donation", "2024-05-04")
    return s


def test_standings_when_two_subjects_share_a_hash_equal_the_exact_grouping(
    wendeng: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = _scenario(wendeng).frame()
    entries = derive_entries(frame, wendeng)
    moment = at("2024-06-01")
    clean = standing.standings(frame, entries, wendeng, moment)

    monkeypatch.setattr(standing, "subject_hashes", lambda s: (s.hash(1) * 0, s.hash(2)))
    merged = standing.standings(frame, entries, wendeng, moment)
    assert merged.equals(clean)
    assert clean.height == 3
    assert set(clean.get_column("subject")) == {ADULT, OTHER_ADULT, MINOR}
    assert clean.filter(subject=OTHER_ADULT).get_column("grade").item() == "D"


@settings(deadline=None, max_examples=200)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet="0123456789X", min_size=18, max_size=18),
            st.text(alphabet="09Xé\u3000", min_size=6, max_size=6),
            st.text(max_size=3),
        ),
        unique=True,
        max_size=50,
    )
)
def test_subjects_of_one_width_sort_as_their_strings_do(subjects: list[str]) -> None:
    frame = pl.DataFrame(
        {"subject": pl.Series(subjects, dtype=pl.String), "n": range(len(subjects))}
    )
    assert standing.by_subject(frame).equals(frame.sort("subject"))
