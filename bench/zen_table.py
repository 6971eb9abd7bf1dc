"""The per-event part of a rulebook segment as a ZEN (GoRules JDM) decision table.

The table is generated from the loaded rules, so the kernel and the reference read the same
rulebook: one row per fixed rule, one per band, one per lookup value, and an output
expression for per-unit and progressive rules. Direct grades give 0 points and the grade.

What a single row cannot express is left out and reported by `uncovered_rules`: cumulative
tiers (they need the subject's running total) and repairs (they need the listing they end).
Doubling, one-act-one-entry, caps, validity and scores are history-dependent and are not
part of the reference at all.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from socialcredit.rules.model import (
    Bands,
    Bracket,
    Cumulative,
    DirectGrade,
    Fixed,
    Lookup,
    PerUnit,
    Progressive,
    Rule,
)
from socialcredit.rules.plan import Segment

__all__ = ["DECISION_KEY", "covered_rules", "decision_json", "input_fields", "uncovered_rules"]

DECISION_KEY = "wendeng-points"
_TYPE_INPUT = "in_type"
_OUTPUTS = ("points", "grade", "rule")
Row = dict[str, str]


def _covered(rule: Rule) -> bool:
    """True when one decision-table row (or a few band rows) gives the rule's base points."""
    return not isinstance(rule.points, Cumulative)


def covered_rules(segment: Segment) -> list[Rule]:
    """The segment's rules the decision table encodes, in rulebook order."""
    return [rule for rule in segment.rules if _covered(rule)]


def uncovered_rules(segment: Segment) -> list[str]:
    """Ids of rules (and repair triggers) the table leaves out, with the reason."""
    left = [f"{r.id} (cumulative tiers)" for r in segment.rules if not _covered(r)]
    left += [f"{r.repair.on} (repair of {r.id})" for r in segment.rules if r.repair]
    return left


def input_fields(segment: Segment) -> list[str]:
    """Every event field the table reads: `type` first, then the data fields."""
    fields: list[str] = []
    for rule in covered_rules(segment):
        field = getattr(rule.points, "field", None)
        if field and field not in fields:
            fields.append(field)
    return ["type", *fields]


def _number(value: float) -> str:
    """A ZEN number literal: integers without a decimal point."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _quoted(text: str) -> str:
    return json.dumps(text)


def _bracket(field: str, bracket: Bracket) -> str:
    """One progressive bracket as a ZEN expression, the same arithmetic as the kernel's."""
    excess = f"{field} - {_number(bracket.above)}"
    if not math.isinf(bracket.up_to):
        excess = f"min([{excess}, {_number(bracket.up_to - bracket.above)}])"
    steps = f"floor(max([0, {excess}]) / {_number(bracket.step)})"
    return f"min([{bracket.most}, {steps}]) * {bracket.each}"


def _cases(rule: Rule) -> list[tuple[dict[str, str], str]]:
    """(conditions on data fields, points expression) for each row of one rule."""
    p = rule.points
    if isinstance(p, Fixed):
        return [({}, str(p.points))]
    if isinstance(p, DirectGrade):
        return [({}, "0")]
    if isinstance(p, PerUnit):
        return [({}, f"floor({p.field}) * {p.each}")]
    if isinstance(p, Bands):
        return [
            ({p.field: "" if math.isinf(bound) else f"<= {_number(bound)}"}, str(points))
            for bound, points in p.bands
        ]
    if isinstance(p, Lookup):
        return [({p.field: _quoted(value)}, str(points)) for value, points in p.values.items()]
    if isinstance(p, Progressive):
        return [({}, " + ".join(_bracket(p.field, b) for b in p.brackets))]
    raise ValueError(f"rule {rule.id} has points the table cannot encode")


def _rows(rules: Iterable[Rule], fields: list[str]) -> list[Row]:
    """Decision-table rows, hit policy `first`: bands in ascending order within a type."""
    rows: list[Row] = []
    for rule in rules:
        grade = rule.points.grade if isinstance(rule.points, DirectGrade) else None
        for conditions, points in _cases(rule):
            row: Row = {"_id": f"r{len(rows)}", _TYPE_INPUT: _quoted(rule.on)}
            row.update({f"in_{f}": conditions.get(f, "") for f in fields[1:]})
            row["out_points"] = points
            row["out_grade"] = _quoted(grade) if grade else ""
            row["out_rule"] = _quoted(rule.id)
            rows.append(row)
    return rows


def _table_node(segment: Segment) -> dict[str, Any]:
    fields = input_fields(segment)
    inputs = [{"id": f"in_{f}", "name": f, "type": "expression", "field": f} for f in fields]
    outputs = [{"id": f"out_{o}", "name": o, "type": "expression", "field": o} for o in _OUTPUTS]
    return {
        "id": "table",
        "type": "decisionTableNode",
        "name": "Per-event points",
        "position": {"x": 300, "y": 100},
        "content": {
            "hitPolicy": "first",
            "inputs": inputs,
            "outputs": outputs,
            "rules": _rows(covered_rules(segment), fields),
        },
    }


def decision_json(segment: Segment) -> dict[str, Any]:
    """The JDM graph inputNode -> decisionTableNode -> outputNode for one segment's rules."""
    return {
        "contentType": "application/vnd.gorules.decision",
        "nodes": [
            {
                "id": "request",
                "type": "inputNode",
                "name": "Request",
                "position": {"x": 0, "y": 100},
            },
            _table_node(segment),
            {
                "id": "response",
                "type": "outputNode",
                "name": "Response",
                "position": {"x": 600, "y": 100},
            },
        ],
        "edges": [
            {"id": "e1", "type": "edge", "sourceId": "request", "targetId": "table"},
            {"id": "e2", "type": "edge", "sourceId": "table", "targetId": "response"},
        ],
    }
