"""`rulebook check` passes the bundled packs and rejects unsafe ones with located errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialcredit.cli import app
from socialcredit.rulebooks import bundled_files
from socialcredit.services.rulebooks import check_files

HEADER = """\
[rulebook]
id = "test-town"
extends = "cn-national"
version = "2025.1"
effective = 2025-01-01
scale = { baseline = 1000, floor = 0 }
grades = [["A", 960], ["B", 850], ["C", 0]]

[validity]
deductions = "1y"
"""

runner = CliRunner()


def write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "town.toml"
    path.write_text(header + body, encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def messages(path: Path) -> list[str]:
    return [str(p) for p in check_files([path])]


def test_bundled_packs_pass(tmp_path: Path) -> None:
    paths = []
    for rulebook_id, files in bundled_files().items():
        for item in files:
            target = tmp_path / f"{rulebook_id}-{item.name}"
            target.write_text(item.read_text(encoding="utf-8"), encoding="utf-8")
            paths.append(target)
    result = runner.invoke(app, ["rulebook", "check", *map(str, paths)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.stdout


def test_a_rule_scoring_online_posting_is_rejected_at_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[rule]]
id = "online.rumour_posting"
domain = "public_order"
on = "internet.post_published"
points = -10
""",
    )
    found = messages(path)
    assert any(
        f"{path}:{line_of(path, '[[rule]]')}: rule 'online.rumour_posting': scores "
        "speech and opinion" in m
        for m in found
    ), found


@pytest.mark.parametrize(
    ("rule_id", "subject"),
    [
        ("petition.beijing", "petitioning"),
        ("unapproved.gathering", "assembly"),
        ("religion.unregistered_worship", "religion"),
        ("family.member_defaulted", "relatives"),
        ("hiv.status_undisclosed", "health status"),
    ],
)
def test_rules_on_protected_subjects_are_rejected_whatever_the_domain(
    tmp_path: Path, rule_id: str, subject: str
) -> None:
    path = write(
        tmp_path,
        f"""
[[rule]]
id = "{rule_id}"
domain = "public_order"
on = "x.{rule_id}"
points = -10
""",
    )
    assert any(subject in m for m in messages(path))


def test_a_domain_outside_the_closed_taxonomy_is_rejected(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[rule]]
id = "x.y"
domain = "speech"
on = "x.y"
points = -10
""",
    )
    assert any("domain 'speech' is not in the closed taxonomy" in m for m in messages(path))


def test_a_negative_rule_without_validity_is_rejected(tmp_path: Path) -> None:
    header = HEADER.replace('[validity]\ndeductions = "1y"\n', "")
    path = write(
        tmp_path,
        """
[[rule]]
id = "tax.late"
domain = "tax"
on = "tax.late"
points = -10
""",
        header,
    )
    found = messages(path)
    assert any(
        f":{line_of(path, '[[rule]]')}: rule 'tax.late': a negative rule needs a validity" in m
        for m in found
    ), found


def test_a_validity_beyond_the_national_maximum_is_rejected(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[rule]]
id = "tax.late"
domain = "tax"
on = "tax.late"
points = -10
validity = "6y"
""",
    )
    assert any("longer than the national maximum of 5y" in m for m in messages(path))


def test_a_consequence_reaching_into_an_unrelated_domain_is_rejected(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[consequence]]
purpose = "air_travel"
effect = "deny"
when = { grade_at_most = "C" }
domains = ["judicial", "traffic"]
""",
    )
    found = messages(path)
    line = line_of(path, "[[consequence]]")
    assert any(
        f":{line}: consequence 'air_travel': considers traffic records, which are "
        "unrelated to air_travel" in m
        for m in found
    ), found


def test_a_list_fed_by_a_domain_the_consequence_does_not_consider_is_rejected(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        """
[[consequence]]
purpose = "credit_card"
effect = "deny"
when = { list = "dishonest-judgment-defaulters" }
domains = ["finance"]
""",
    )
    assert any("fed by judicial records" in m for m in messages(path))


def test_an_appeal_window_below_the_national_floor_is_rejected(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[list]]
id = "fast-list"
kind = "black"
domain = "tax"
on = ["tax.evasion"]
appeal_window = "5d"
period = "1y"
""",
    )
    assert any("appeal_window 5d is below the national floor of 10d" in m for m in messages(path))


def test_an_unknown_key_is_an_error_not_ignored(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[rule]]
id = "tax.late"
domain = "tax"
on = "tax.late"
points = -10
applies_to = "household"
""",
    )
    found = messages(path)
    assert any(
        f":{line_of(path, 'applies_to')}: rule 'tax.late': unknown key 'applies_to'" in m
        for m in found
    ), found


def test_broken_toml_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "\n[[rule]]\nbroken = \n")
    found = messages(path)
    assert found
    assert f"{path}:{line_of(path, 'broken = ')}: not valid TOML" in found[0]


def test_an_opt_in_scheme_cannot_deduct(tmp_path: Path) -> None:
    header = HEADER.replace('extends = "cn-national"\n', 'membership = "opt-in"\n')
    path = write(
        tmp_path,
        """
[[rule]]
id = "tax.late"
domain = "tax"
on = "tax.late"
points = -10
""",
        header,
    )
    assert any("opt-in scheme offers incentives only" in m for m in messages(path))


def test_check_reports_every_problem_and_exits_non_zero(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[rule]]
id = "online.posting"
domain = "public_order"
on = "online.posting"
points = -10
validity = "9y"

[[consequence]]
purpose = "rail_g_train"
effect = "deny"
when = { grade_at_most = "C" }
domains = ["public_order"]
""",
    )
    result = runner.invoke(app, ["rulebook", "check", str(path)])
    assert result.exit_code == 1
    assert "speech and opinion" in result.stderr
    assert "national maximum" in result.stderr
    assert "unrelated to rail_g_train" in result.stderr


def test_rulebook_list_shows_the_bundled_packs() -> None:
    result = runner.invoke(app, ["rulebook", "list", "--json"])
    assert result.exit_code == 0
    assert {"cn-national", "cn-371003-wendeng", "civic-rewards"} <= {
        line.split('"id": "')[1].split('"')[0] for line in result.stdout.splitlines()
    }


RULE = '\n[[rule]]\nid = "t"\ndomain = "tax"\non = "t"\n'
LIST = (
    '\n[[list]]\nid = "l"\nkind = "black"\ndomain = "tax"\non = ["t"]\n' + 'appeal_window = "10d"\n'
)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            RULE + 'points = { by = "a", bands = [[5, -1]] }\n',
            'the last band must be "inf"',
        ),
        (
            '\n[[rule]]\nid = "t"\ndomain = "tax"\non = "t"\n'
            'points = { per = "m", each = -1, by = "x" }\n',
            "exactly the keys of one kind",
        ),
        (
            '\n[[rule]]\nid = "t"\ndomain = "tax"\non = "t"\npoints = -1\nvalidity = "3wd"\n',
            "working days are for deadlines",
        ),
        (RULE + "points = true\n", "points must be a number, not True"),
        (
            '\n[[rule]]\nid = "t"\ndomain = "tax"\non = "t"\npoints = -5\n'
            'repair = { on = "u", points = -1, validity = "1y" }\n',
            "a repair ends a direct grade",
        ),
        (
            LIST + 'period = "1900d"\n',
            "longer than the national maximum",
        ),
        (
            LIST + 'period = "1y"\nextension = { on = "x" }\n',
            "missing required key 'most'",
        ),
    ],
)
def test_malformed_rules_are_located_problems_not_crashes(
    tmp_path: Path, body: str, message: str
) -> None:
    found = messages(write(tmp_path, body))
    assert any(message in m for m in found), found


def test_an_unknown_timezone_is_rejected(tmp_path: Path) -> None:
    path = write(
        tmp_path, "", HEADER.replace('extends = "cn-national"\n', 'timezone = "Mars/Olympus"\n')
    )
    assert any("'Mars/Olympus' is not an IANA time zone" in m for m in messages(path))


def test_effective_must_be_a_date(tmp_path: Path) -> None:
    path = write(
        tmp_path, "", HEADER.replace("effective = 2025-01-01", "effective = 2025-01-01T12:00:00")
    )
    assert any("not a date and time" in m for m in messages(path))


def test_two_versions_cannot_take_effect_on_the_same_day(tmp_path: Path) -> None:
    first = write(tmp_path, "")
    second = tmp_path / "town-b.toml"
    second.write_text(HEADER.replace('version = "2025.1"', 'version = "2025.2"'))
    assert any("both take effect on 2025-01-01" in str(p) for p in check_files([first, second]))
