"""How `socialcredit rulebook diff` shows a rulebook diff and its impact in the terminal."""

from __future__ import annotations

import polars as pl
from rich.markup import escape
from rich.table import Table

from socialcredit.cli.app import out
from socialcredit.rules.diff import ItemDiff, RulebookDiff, toml_text
from socialcredit.simulate.impact import Impact

__all__ = ["render_diff", "render_impact"]

_MARKS = {"added": "[green]+[/]", "removed": "[red]-[/]", "changed": "[yellow]~[/]"}
_PLURALS = {"rule": "Rules", "list": "Lists", "consequence": "Consequences"}
_NONE = "(none)"


def render_diff(diff: RulebookDiff, old: str, new: str) -> None:
    """The rule text diff: each rule, list and consequence added, removed or changed."""
    out.print(f"[bold]OLD[/] {escape(old)}: {escape(diff.old)}", highlight=False)
    out.print(f"[bold]NEW[/] {escape(new)}: {escape(diff.new)}", highlight=False)
    if diff.empty:
        out.print("No differences: OLD and NEW put the same rules in force.")
        return
    for kind, title in _PLURALS.items():
        items = [i for i in diff.items if i.kind == kind]
        counts = {s: sum(i.status == s for i in items) for s in ("added", "removed", "changed")}
        said = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no change"
        out.print(f"\n[bold]{title}[/]: {said}", highlight=False)
        for item in items:
            _item(item)
    said = "no change" if not diff.settings else f"{len(diff.settings)} changed"
    out.print(f"\n[bold]Settings[/]: {said}", highlight=False)
    for change in diff.settings:
        _change(change.key, change.old, change.new, indent="  ")


def _item(item: ItemDiff) -> None:
    out.print(f"  {_MARKS[item.status]} {escape(item.id)}", highlight=False)
    if item.status == "changed":
        for change in item.changes:
            _change(change.key, change.old, change.new)
        return
    table = item.new if item.status == "added" else item.old
    for key, value in (table or {}).items():
        out.print(f"      {escape(key)} = {escape(toml_text(value))}", highlight=False)


def _change(key: str, old: object, new: object, indent: str = "      ") -> None:
    out.print(f"{indent}{escape(key)}: {escape(toml_text(old))}", highlight=False, soft_wrap=True)
    out.print(f"{indent}  [bold]->[/] {escape(toml_text(new))}", highlight=False, soft_wrap=True)


def render_impact(impact: Impact) -> None:
    """The counts: grade transitions, lists, breakdowns, and the rules responsible."""
    totals = impact.totals
    people = totals["subjects"]
    share = f" ({totals['grade_changed'] / people:.1%})" if people else ""
    out.print(f"\n[bold]Impact[/] {escape(_where(impact))}", highlight=False)
    out.print(
        f"Grade changed for {totals['grade_changed']:,} of {people:,}{share}: "
        f"{totals['worse']:,} to a worse grade, {totals['better']:,} to a better one; "
        f"score changed for {totals['score_changed']:,}. Newly listed {totals['listed']:,}, "
        f"delisted {totals['delisted']:,}.",
        highlight=False,
    )
    out.print(_matrix(impact))
    lists = impact.lists.rename({"on_old": "OLD", "on_new": "NEW"})
    caption = "on the list at the end under OLD and NEW; listed: under NEW only; delisted: OLD only"
    out.print(_table("Lists", lists, caption))
    for title, frame in (("By audit group", impact.by_group), ("By district", impact.by_district)):
        if frame is not None:
            out.print(_table(title, frame.rename({"grade_changed": "grade changed"})))
    rules = impact.rules.rename({"grade_changed": "grade changed"})
    caption = (
        "entries of the rule that differ between OLD and NEW: how many, the subjects with one, "
        "and of those the subjects whose grade changed"
    )
    out.print(_table("Rules responsible", rules, caption))
    for note in impact.notes:
        out.print(f"note: {escape(note)}", highlight=False)


def _where(impact: Impact) -> str:
    at = impact.as_of.isoformat(timespec="seconds")
    d = impact.details
    if impact.source == "simulation":
        return (
            f"on a synthetic population of {d['people']:,} people, {d['days']} days from "
            f"{d['start']} (seed {d['seed']}), as of {at}"
        )
    return f"on the subjects in the store, as of {at}"


def _matrix(impact: Impact) -> Table:
    cells = {(o, n): c for o, n, c in impact.transitions.iter_rows()}
    olds = _axis(impact.grades[0], {o for o, _ in cells})
    news = _axis(impact.grades[1], {n for _, n in cells})
    table = Table("OLD \\ NEW", *(n or _NONE for n in news), title="Grade transitions (subjects)")
    for o in olds:
        row = []
        for n in news:
            count = cells.get((o, n), 0)
            text = f"{count:,}" if count else ""
            row.append(f"[bold]{text}[/]" if count and o != n else text)
        table.add_row(o or _NONE, *row)
    return table


def _axis(names: tuple[str, ...], seen: set[str | None]) -> list[str | None]:
    extra: list[str | None] = [None] if None in seen else []
    return [*names, *extra]


def _table(title: str, frame: pl.DataFrame, caption: str | None = None) -> Table:
    table = Table(*frame.columns, title=title, caption=caption)
    for row in frame.iter_rows():
        table.add_row(*(escape(_cell(v)) for v in row))
    return table


def _cell(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return _NONE if value is None else str(value)
