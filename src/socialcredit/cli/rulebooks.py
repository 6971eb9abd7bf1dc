"""`socialcredit rulebook check|list`: rulebooks on disk and bundled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from socialcredit.cli.app import err, fail, out, rulebook_app
from socialcredit.errors import RulebookError, SocialCreditError
from socialcredit.rules.plan import Plan
from socialcredit.services.rulebooks import bundled_catalog, check_files, plan_for

__all__ = ["load_plan"]


def load_plan(rulebook: str) -> Plan:
    try:
        return plan_for(rulebook)
    except RulebookError as exc:
        for problem in exc.problems:
            err.print(str(problem), highlight=False, soft_wrap=True)
        fail(f"rulebook {rulebook} has {len(exc.problems)} problem(s)")
    except SocialCreditError as exc:
        fail(str(exc))


@rulebook_app.command("check")
def rulebook_check(
    paths: Annotated[list[Path], typer.Argument(help="Rulebook TOML files to check.")],
) -> None:
    """Check rulebook files: format, safeguards, extends. Exit 1 listing every problem."""
    problems = check_files(paths)
    for problem in problems:
        err.print(str(problem), highlight=False, soft_wrap=True)
    if problems:
        err.print(f"{len(problems)} problem(s) in {len(paths)} file(s)")
        raise typer.Exit(1)
    out.print(f"ok: {len(paths)} file(s) keep every safeguard", highlight=False)


@rulebook_app.command("list")
def rulebook_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List the bundled rulebooks and their versions."""
    catalog = bundled_catalog()
    rows = []
    for rulebook_id, versions in sorted(catalog.books.items()):
        for v in versions:
            rows.append(
                {
                    "id": rulebook_id,
                    "version": v.version,
                    "effective": v.effective.isoformat(),
                    "extends": v.extends,
                    "membership": v.membership,
                    "rules": len(v.rules),
                    "lists": len(v.lists),
                    "title": v.title,
                }
            )
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return
    table = Table("id", "version", "effective", "extends", "membership", "rules", "lists", "title")
    for row in rows:
        table.add_row(
            *(
                str(row[k] if row[k] is not None else "")
                for k in (
                    "id",
                    "version",
                    "effective",
                    "extends",
                    "membership",
                    "rules",
                    "lists",
                    "title",
                )
            )
        )
    out.print(table)
