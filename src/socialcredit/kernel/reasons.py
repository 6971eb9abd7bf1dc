"""A plain-language reason for every entry, built from its columns."""

from __future__ import annotations

import polars as pl

__all__ = ["with_reasons"]


def _points(col: str) -> pl.Expr:
    value = pl.col(col)
    return pl.when(value > 0).then(pl.format("+{}", value)).otherwise(value.cast(pl.String))


def with_reasons(entries: pl.DataFrame) -> pl.DataFrame:
    """The entries with a `reason` column saying what each one is and why it counts or not."""
    what = (
        pl.when(pl.col("kind") == "grade")
        .then(pl.format("{} ({}): direct grade {}", "rule", "rulebook", "grade"))
        .when(pl.col("kind") == "repair")
        .then(
            pl.format("{} repairs {} ({}): {}", "type", "rule", "rulebook", _points("base_points"))
        )
        .otherwise(pl.format("{} ({}): {}", "rule", "rulebook", _points("base_points")))
    )
    notes = [
        pl.when("doubled").then(
            pl.format(
                "doubled to {}: an earlier {} still counted", _points("applied_points"), "rule"
            )
        ),
        pl.when("capped").then(
            pl.format("cut to {} by the rule's cap for the period", _points("applied_points"))
        ),
        pl.when(pl.col("status") == "minor").then(
            pl.lit("not applied: under 18 at the event, no negative points")
        ),
        pl.when(pl.col("status") == "superseded").then(
            pl.format("not applied: event {} of the same act outranks it", "ended_by")
        ),
        pl.when((pl.col("status") == "counted") & pl.col("ended_by").is_not_null()).then(
            pl.format("ended early by event {}", "ended_by")
        ),
    ]
    return entries.with_columns(
        reason=pl.concat_str([what, *notes], separator="; ", ignore_nulls=True)
    )
