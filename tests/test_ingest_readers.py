"""Event files in every format read to the same text frame; mappings bring foreign exports in."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from socialcredit.errors import MappingError
from socialcredit.ingest.events import typed_events
from socialcredit.ingest.mapping import KEYS, apply_mapping, load_mapping
from socialcredit.ingest.readers import FORMATS, Rejection, format_of, read_events_file
from socialcredit.rules.plan import Plan
from tests.scenario import ADULT, OTHER_ADULT

DOC = Path(__file__).resolve().parent.parent / "docs" / "ingest.md"

EVENTS: list[dict[str, object]] = [
    {
        "id": "ev-1",
        "source": "traffic.weihai",
        "subject": ADULT,
        "type": "traffic.fine",
        "occurred_at": "2024-03-01T09:30:00+08:00",
        "jurisdiction": "371003",
        "data": {"amount_cny": 800, "note": '夜间, "测速"'},
    },
    {
        "id": "ev-2",
        "source": "traffic.weihai",
        "subject": OTHER_ADULT,
        "type": "traffic.warning",
        "occurred_at": "2024-03-02T10:00:00+08:00",
        "jurisdiction": "371003",
        "act": "道路交通安全法",
        "data": {},
    },
    {
        "id": "ev-3",
        "source": "traffic.weihai",
        "subject": ADULT,
        "type": "traffic.fine",
        "occurred_at": "2024-03-03T11:15:00+08:00",
        "jurisdiction": "371003",
        "data": {"amount_cny": 1250.5},
    },
]
# The same events as every reader must return them, without `_line`.
EXPECTED = pl.DataFrame(
    {
        "act": [None, "道路交通安全法", None],
        "amount_cny": ["800", None, "1250.5"],
        "id": ["ev-1", "ev-2", "ev-3"],
        "jurisdiction": ["371003"] * 3,
        "note": ['夜间, "测速"', None, None],
        "occurred_at": [
            "2024-03-01T09:30:00+08:00",
            "2024-03-02T10:00:00+08:00",
            "2024-03-03T11:15:00+08:00",
        ],
        "source": ["traffic.weihai"] * 3,
        "subject": [ADULT, OTHER_ADULT, ADULT],
        "type": ["traffic.fine", "traffic.warning", "traffic.fine"],
    }
)
FIELDS = [c for c in EXPECTED.columns if c not in ("amount_cny", "note")]


def data_of(event: dict[str, object]) -> dict[str, object]:
    data = event["data"]
    assert isinstance(data, dict)
    return data


def write_ndjson(path: Path, events: list[dict[str, object]]) -> list[int]:
    text = "".join(json.dumps(e, ensure_ascii=False) + "\n\n" for e in events)
    path.write_text(text, encoding="utf-8")
    return [2 * i + 1 for i in range(len(events))]


def write_json(path: Path, events: list[dict[str, object]]) -> list[int]:
    text = json.dumps(events, ensure_ascii=False, indent=2)
    path.write_text(text, encoding="utf-8")
    return [n for n, line in enumerate(text.splitlines(), start=1) if line == "  {"]


def write_csv(path: Path, events: list[dict[str, object]]) -> list[int]:
    with path.open("w", newline="", encoding="utf-8") as file:
        out = csv.writer(file)
        out.writerow([*FIELDS, "data.amount_cny", "data.note"])
        for event in events:
            data = data_of(event)
            out.writerow(
                [event.get(f, "") for f in FIELDS] + [data.get("amount_cny", ""), data.get("note")]
            )
    return [i + 2 for i in range(len(events))]


def write_parquet(path: Path, events: list[dict[str, object]]) -> list[int]:
    data = [{k: data_of(e).get(k) for k in ("amount_cny", "note")} for e in events]
    frame = pl.DataFrame({f: [e.get(f) for e in events] for f in FIELDS})
    frame.with_columns(data=pl.Series(data, strict=False)).write_parquet(path)
    return [i + 1 for i in range(len(events))]


def _xml_field(name: str, value: object) -> str:
    text = str(value).replace("&", "&amp;").replace("<", "&lt;")
    return f"<{name}>{text}</{name}>"


def write_xml(path: Path, events: list[dict[str, object]]) -> list[int]:
    lines, starts = ['<?xml version="1.0" encoding="UTF-8"?>', "<events>"], []
    for event in events:
        starts.append(len(lines) + 1)
        lines.append(f'  <event id="{event["id"]}" source="{event["source"]}">')
        for name in FIELDS:
            if name in event and name not in ("id", "source"):
                lines.append("    " + _xml_field(name, event[name]))
        fields = "".join(_xml_field(k, v) for k, v in data_of(event).items())
        lines.append(f"    <data>{fields}</data>")
        lines.append("  </event>")
    path.write_text("\n".join([*lines, "</events>", ""]), encoding="utf-8")
    return starts


WRITERS = {
    "events.ndjson": write_ndjson,
    "events.json": write_json,
    "events.csv": write_csv,
    "events.parquet": write_parquet,
    "events.xml": write_xml,
}


def read(path: Path, fmt: str | None = None) -> tuple[pl.DataFrame, list[Rejection]]:
    frame, rejected = read_events_file(path, fmt)
    assert frame.schema["_line"] == pl.Int64
    assert all(t == pl.String for name, t in frame.schema.items() if name != "_line")
    return frame, rejected


def lines_of(frame: pl.DataFrame) -> list[int]:
    return frame.get_column("_line").to_list()


# Formats


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_the_same_events_read_to_the_same_frame_in_every_format(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    starts = WRITERS[name](path, EVENTS)
    frame, rejected = read(path)
    assert rejected == []
    assert_frame_equal(frame.select(sorted(EXPECTED.columns)), EXPECTED)
    assert sorted(frame.columns) == sorted([*EXPECTED.columns, "_line"])
    assert lines_of(frame) == starts


def test_every_format_has_a_writer_here() -> None:
    assert sorted(format_of(Path(name)) for name in WRITERS) == sorted(FORMATS)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.jsonl", "ndjson"),
        ("a.JSON", "json"),
        ("a.pq", "parquet"),
        ("a.parquet", "parquet"),
        ("a.xml", "xml"),
    ],
)
def test_the_format_follows_the_extension(name: str, fmt: str) -> None:
    assert format_of(Path(name)) == fmt


def test_an_unknown_extension_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"\.parquet"):
        format_of(Path("events.xlsx"))


def test_an_explicit_format_overrides_the_extension(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    write_xml(path, EVENTS)
    frame, _ = read(path, "xml")
    assert frame.get_column("id").to_list() == ["ev-1", "ev-2", "ev-3"]


def test_empty_text_is_null_in_every_format(tmp_path: Path) -> None:
    event = {**EVENTS[1], "act": "", "data": {"note": ""}}
    for name, write in WRITERS.items():
        write(tmp_path / name, [event])
        frame, _ = read(tmp_path / name)
        assert frame.get_column("act").to_list() == [None], name
        assert frame.get_column("note").to_list() == [None], name


def test_a_data_field_never_overwrites_a_top_level_field(tmp_path: Path) -> None:
    event = {**EVENTS[0], "data": {"subject": "someone else", "amount_cny": 5}}
    for name in ("events.ndjson", "events.json"):
        WRITERS[name](tmp_path / name, [event])
        frame, _ = read(tmp_path / name)
        assert frame.get_column("subject").to_list() == [ADULT], name


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes("\ufeffid,类别\nA1,罚款\n".encode())
    frame, _ = read(path)
    assert frame.columns == ["id", "类别", "_line"]


def test_a_file_that_is_not_utf8_is_one_rejection_at_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes("id,类别\nA1,罚款\n".encode("gbk"))
    frame, rejected = read(path)
    assert frame.is_empty()
    assert [(r.line, "not UTF-8" in r.reason) for r in rejected] == [(1, True)]


# Broken rows: the line of each, and the good rows still come back


def test_ndjson_bad_lines_are_rejected_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    good = [json.dumps(e, ensure_ascii=False) for e in EVENTS]
    lines = [good[0], "{not json", "[1, 2]", good[1], "", good[2]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    frame, rejected = read(path)
    assert lines_of(frame) == [1, 4, 6]
    assert [(r.line, r.reason.split(":")[0]) for r in rejected] == [
        (2, "not valid JSON"),
        (3, "not a JSON object"),
    ]


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ('{"id": "a"}\n{"id": "b"}\n', [1, 2]),
        ('\n{"id": "a"}\n \t\n{"id": "b"}\n\n', [2, 4]),
        (' \r\n{"id": "a"}\r\n{"id": "b"}', [2, 3]),
    ],
)
def test_ndjson_rows_keep_their_line_numbers_around_blank_lines(
    tmp_path: Path, text: str, lines: list[int]
) -> None:
    path = tmp_path / "events.ndjson"
    path.write_text(text)
    rows, rejected = read_events_file(path)
    assert rejected == []
    assert rows.get_column("_line").to_list() == lines
    assert rows.get_column("id").to_list() == ["a", "b"]


def test_json_elements_that_are_not_events_are_rejected_at_their_line(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(
        "[\n"
        f"  {json.dumps(EVENTS[0])},\n"
        "  42,\n"
        '  {"id": "x", "data": "not an object"},\n'
        f"  {json.dumps(EVENTS[2])}\n"
        "]\n"
    )
    frame, rejected = read(path)
    assert lines_of(frame) == [2, 5]
    assert frame.get_column("id").to_list() == ["ev-1", "ev-3"]
    assert [r.line for r in rejected] == [3, 4]


def test_invalid_json_is_one_rejection_at_the_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(f'[\n  {json.dumps(EVENTS[0])},\n  {{"id": }}\n]\n')
    frame, rejected = read(path)
    assert frame.is_empty()
    assert [(r.line, r.reason.startswith("not valid JSON")) for r in rejected] == [(3, True)]


def test_a_json_object_instead_of_an_array_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text("\n" + json.dumps(EVENTS[0]))
    frame, rejected = read(path)
    assert frame.is_empty()
    assert [(r.line, "array" in r.reason) for r in rejected] == [(2, True)]


def test_json_strings_with_brackets_and_escaped_quotes_do_not_move_the_lines(
    tmp_path: Path,
) -> None:
    tricky = {**EVENTS[0], "id": 'a\\"}, {[', "data": {"note": "\\\\"}}
    path = tmp_path / "events.json"
    text = json.dumps([tricky, EVENTS[1]], indent=1)
    path.write_text(text)
    frame, rejected = read(path)
    assert rejected == []
    assert frame.get_column("id").to_list() == ['a\\"}, {[', "ev-2"]
    assert lines_of(frame) == [n for n, line in enumerate(text.splitlines(), 1) if line == " {"]


def test_csv_records_with_the_wrong_number_of_fields_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("id,type,amount_cny\nA1,fine,800\nA2,fine,8,00\n\nA3,warning\nA4,fine,1\n")
    frame, rejected = read(path)
    assert frame.get_column("id").to_list() == ["A1", "A4"]
    assert lines_of(frame) == [2, 6]
    assert rejected == [
        Rejection(3, "", "has 4 fields where the header has 3"),
        Rejection(5, "", "has 2 fields where the header has 3"),
    ]


def test_csv_lines_count_the_lines_inside_quoted_fields(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        'id,note\nA1,"two\nlines"\nA2,x,y\nA3,"a ""quoted"" word"\nA4,"never closed\nA5,z\n'
    )
    frame, rejected = read(path)
    assert frame.get_column("note").to_list() == ["two\nlines", 'a "quoted" word']
    assert lines_of(frame) == [2, 5]
    assert [r.line for r in rejected] == [4, 6]
    assert "not valid CSV" in rejected[1].reason


def test_a_csv_header_naming_a_column_twice_rejects_the_file(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("\nid,type,id\nA1,fine,A2\n")
    frame, rejected = read(path)
    assert frame.is_empty()
    assert rejected == [Rejection(2, "", "the header names 'id' more than once")]


def test_an_unreadable_parquet_file_is_one_rejection(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    path.write_bytes(b"PAR1 but not really")
    frame, rejected = read(path)
    assert frame.is_empty()
    assert [(r.line, r.reason.startswith("not a readable Parquet file")) for r in rejected] == [
        (0, True)
    ]


def test_parquet_values_become_text_as_the_other_formats_write_them(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    pl.DataFrame(
        {
            "id": ["a", "b"],
            "occurred_at": pl.Series(["2024-03-01 09:30:00", "2024-03-01 09:30:00.25"])
            .str.to_datetime()
            .dt.replace_time_zone("Asia/Shanghai"),
            "data.amount_cny": [800.0, 0.5],
            "data.points": [3, None],
            "data.tags": [["x", "y"], None],
            "data.flag": [True, False],
        }
    ).write_parquet(path)
    frame, _ = read(path)
    assert frame.to_dicts() == [
        {
            "id": "a",
            "occurred_at": "2024-03-01T09:30:00+08:00",
            "amount_cny": "800",
            "points": "3",
            "tags": '["x","y"]',
            "flag": "true",
            "_line": 1,
        },
        {
            "id": "b",
            "occurred_at": "2024-03-01T09:30:00.250+08:00",
            "amount_cny": "0.5",
            "points": None,
            "tags": None,
            "flag": "false",
            "_line": 2,
        },
    ]


XML_BROKEN = """<?xml version="1.0"?>
<events>
  <event><id>ev-1</id><type>traffic.warning</type></event>
  <event><id>ev-2</id><id>again</id></event>
  <event id="ev-3"><type>traffic.fine<b/></type></event>
  <event><id>ev-4</id>stray text</event>
  <record><id>ev-5</id></record>
  <event><id>ev-6</id><data amount_cny="800"/></event>
  <event><id>ev-7</id>
    <type>traffic.fine</wrong>
  </event>
  <event><id>ev-8</id></event>
</events>
"""


def test_xml_events_with_problems_are_rejected_at_their_line(tmp_path: Path) -> None:
    path = tmp_path / "events.xml"
    path.write_text(XML_BROKEN)
    frame, rejected = read(path)
    assert frame.get_column("id").to_list() == ["ev-1", "ev-6"]
    assert frame.get_column("amount_cny").to_list() == [None, "800"]
    assert lines_of(frame) == [3, 8]
    assert [r.line for r in rejected] == [4, 5, 6, 7, 10]


def test_malformed_xml_keeps_the_events_before_the_error(tmp_path: Path) -> None:
    path = tmp_path / "events.xml"
    path.write_text(XML_BROKEN)
    _, rejected = read(path)
    assert rejected[-1].reason.startswith("not well-formed XML")
    assert "<event> of line 9" in rejected[-1].reason


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE events [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
        '<!DOCTYPE events SYSTEM "http://example.org/events.dtd">',
    ],
)
def test_xml_with_a_dtd_is_refused_before_any_entity_expands(tmp_path: Path, doctype: str) -> None:
    path = tmp_path / "events.xml"
    path.write_text(
        f'<?xml version="1.0"?>\n{doctype}\n<events><event><id>&b;</id></event></events>'
    )
    frame, rejected = read(path)
    assert frame.is_empty()
    assert [(r.line, "DTD" in r.reason) for r in rejected] == [(2, True)]


def test_xml_with_another_root_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.xml"
    path.write_text("<rows>\n<event><id>a</id></event></rows>")
    frame, rejected = read(path)
    assert frame.is_empty()
    assert rejected == [Rejection(1, "", "the root element must be <events>, not <rows>")]


# Mappings

MAPPING = """\
# mapping for the Weihai traffic bureau export
[mapping]
keep_unmapped = false

[fields]
id = "案件编号"
subject = "身份证号"
occurred_at = { from = "处罚日期", format = "%Y/%m/%d %H:%M", timezone = "Asia/Shanghai" }
type = { from = "类别", values = { "罚款" = "traffic.fine", "警告" = "traffic.warning" } }
source = { value = "traffic.weihai" }
jurisdiction = { value = "371003" }
amount_cny = { from = "罚款金额", scale = 0.01 }
"""
HEADER = "案件编号,身份证号,处罚日期,类别,罚款金额,备注\n"
EXPORT = (
    HEADER
    + f"""\
A1,{ADULT},2024/03/01 09:30,罚款,80000,夜间
A2,{OTHER_ADULT},2024/03/02 10:00,警告,,
A3,{ADULT},2024/03/03 11:15,罚款,12345,
"""
)


def mapped(
    tmp_path: Path, export: str = EXPORT, mapping: str = MAPPING
) -> tuple[pl.DataFrame, list[Rejection]]:
    (tmp_path / "export.csv").write_text(export, encoding="utf-8")
    (tmp_path / "weihai.toml").write_text(mapping, encoding="utf-8")
    frame, rejected = read(tmp_path / "export.csv")
    assert rejected == []
    return apply_mapping(frame, load_mapping(tmp_path / "weihai.toml"))


def test_a_mapping_renames_converts_and_drops_the_rest(tmp_path: Path) -> None:
    frame, rejected = mapped(tmp_path)
    assert rejected == []
    assert frame.columns == [
        "id",
        "subject",
        "occurred_at",
        "type",
        "source",
        "jurisdiction",
        "amount_cny",
        "_line",
    ]
    assert frame.row(0, named=True) == {
        "id": "A1",
        "subject": ADULT,
        "occurred_at": "2024-03-01T09:30:00+08:00",
        "type": "traffic.fine",
        "source": "traffic.weihai",
        "jurisdiction": "371003",
        "amount_cny": "800",
        "_line": 2,
    }
    assert frame.get_column("amount_cny").to_list() == ["800", None, "123.45"]
    assert frame.get_column("type").to_list() == ["traffic.fine", "traffic.warning", "traffic.fine"]


def test_a_mapped_export_scores_like_native_events(tmp_path: Path, wendeng: Plan) -> None:
    frame, _ = mapped(tmp_path)
    events, rejected = typed_events(frame, wendeng)
    assert rejected == []
    assert events.get_column("amount_cny").to_list() == [800.0, None, 123.45]


def test_keep_unmapped_keeps_the_other_columns_under_their_names(tmp_path: Path) -> None:
    frame, _ = mapped(
        tmp_path, mapping=MAPPING.replace("keep_unmapped = false", "keep_unmapped = true")
    )
    assert frame.columns[-2:] == ["备注", "_line"]
    assert frame.get_column("备注").to_list() == ["夜间", None, None]


def test_an_unmapped_value_is_rejected_with_its_line_and_value(tmp_path: Path) -> None:
    export = EXPORT + f"A4,{ADULT},2024/03/04 08:00,扣分,100,\n"
    frame, rejected = mapped(tmp_path, export)
    assert frame.get_column("id").to_list() == ["A1", "A2", "A3"]
    assert [(r.line, r.field) for r in rejected] == [(5, "type")]
    assert "扣分" in rejected[0].reason
    assert "类别" in rejected[0].reason


def test_a_time_not_in_the_format_is_rejected(tmp_path: Path) -> None:
    export = EXPORT + f"A4,{ADULT},2024-03-04 08:00,罚款,100,\n"
    frame, rejected = mapped(tmp_path, export)
    assert lines_of(frame) == [2, 3, 4]
    assert rejected == [
        Rejection(
            5,
            "occurred_at",
            "column 处罚日期: 2024-03-04 08:00 does not match the format %Y/%m/%d %H:%M",
        )
    ]


def test_a_time_with_its_own_offset_is_shown_in_the_mapping_timezone(tmp_path: Path) -> None:
    mapping = MAPPING.replace('format = "%Y/%m/%d %H:%M"', 'format = "%Y/%m/%d %H:%M %z"')
    export = HEADER + f"A1,{ADULT},2024/03/01 01:30 +0000,罚款,80000,\n"
    frame, rejected = mapped(tmp_path, export, mapping)
    assert rejected == []
    assert frame.get_column("occurred_at").to_list() == ["2024-03-01T09:30:00+08:00"]


def test_a_local_time_that_never_happened_is_rejected(tmp_path: Path) -> None:
    mapping = MAPPING.replace("Asia/Shanghai", "Europe/Berlin")
    export = EXPORT.replace("2024/03/01 09:30", "2024/03/31 02:30")
    frame, rejected = mapped(tmp_path, export, mapping)
    assert lines_of(frame) == [3, 4]
    assert [(r.line, r.field, "Europe/Berlin" in r.reason) for r in rejected] == [
        (2, "occurred_at", True)
    ]


def test_a_scale_rejects_what_is_not_a_number(tmp_path: Path) -> None:
    export = EXPORT + f"A4,{ADULT},2024/03/04 08:00,罚款,八百,\n"
    _, rejected = mapped(tmp_path, export)
    assert rejected == [Rejection(5, "amount_cny", "column 罚款金额: 八百 is not a number")]


def test_a_row_is_rejected_once_for_its_first_field_at_fault(tmp_path: Path) -> None:
    export = EXPORT + f"A4,{ADULT},someday,扣分,八百,\n"
    _, rejected = mapped(tmp_path, export)
    assert [(r.line, r.field) for r in rejected] == [(5, "occurred_at")]


def test_a_mapping_naming_a_missing_column_fails_the_whole_file(tmp_path: Path) -> None:
    export = EXPORT.replace("罚款金额", "金额")
    with pytest.raises(MappingError) as caught:
        mapped(tmp_path, export)
    message = str(caught.value)
    assert "weihai.toml:12: fields.amount_cny" in message
    assert "'罚款金额'" in message
    assert "案件编号, 身份证号, 处罚日期, 类别, 金额, 备注" in message


def test_a_mapping_that_is_not_toml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "weihai.toml"
    path.write_text(MAPPING.replace('subject = "身份证号"', "subject = 身份证号"), encoding="utf-8")
    with pytest.raises(MappingError, match=r"weihai\.toml:7: not valid TOML"):
        load_mapping(path)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (("scale = 0.01", 'scale = "0.01"'), ":12: fields.amount_cny.scale: must be a number"),
        (
            ('timezone = "Asia/Shanghai"', 'timezone = "Asia/Weihai"'),
            ":8: fields.occurred_at.timezone",
        ),
        (('format = "%Y/%m/%d %H:%M"', 'format = "YYYY/MM/DD"'), ":8: fields.occurred_at.format"),
        (("keep_unmapped", "keep_all"), ":3: mapping.keep_all: unknown key"),
        (('{ value = "371003" }', '{ value = "371003", from = "x" }'), ":11: fields.jurisdiction"),
        (("scale = 0.01", 'scale = 0.01, values = { "a" = "b" }'), ":12: fields.amount_cny: one"),
        (
            ('{ from = "罚款金额", scale = 0.01 }', "{ scale = 0.01 }"),
            ":12: fields.amount_cny: needs",
        ),
    ],
)
def test_a_wrong_key_names_file_line_and_key(
    tmp_path: Path, change: tuple[str, str], where: str
) -> None:
    path = tmp_path / "weihai.toml"
    path.write_text(MAPPING.replace(*change), encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert f"weihai.toml{where}" in str(caught.value)


def test_keys_in_a_subtable_are_located_on_their_own_line(tmp_path: Path) -> None:
    path = tmp_path / "weihai.toml"
    path.write_text('[fields]\nid = "a"\n\n[fields.occurred_at]\nfrom = "b"\nformat = 7\n')
    with pytest.raises(MappingError, match=r"weihai\.toml:6: fields\.occurred_at\.format"):
        load_mapping(path)


# docs/ingest.md


def _section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else len(text)]


def test_every_mapping_key_is_documented() -> None:
    part = _section("Mappings")
    keys = {k for table, names in KEYS.items() if table != "top" for k in names}
    assert not sorted(k for k in keys if f"`{k}`" not in part)
    assert all(f"`[{table}]`" in part for table in KEYS["top"])


def test_every_format_is_documented_with_an_example() -> None:
    part = _section("Formats")
    for fmt in FORMATS:
        assert re.search(rf"^### .*\b{fmt}\b", part, re.IGNORECASE | re.MULTILINE), fmt


def test_the_documented_mapping_loads(tmp_path: Path) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", _section("Mappings"), re.DOTALL)
    assert blocks
    for block in blocks:
        path = tmp_path / "mapping.toml"
        path.write_text(block, encoding="utf-8")
        assert load_mapping(path).fields


@pytest.mark.parametrize("name", ["*", "^subject$"])
@pytest.mark.parametrize("suffix", [".ndjson", ".json"])
def test_a_field_named_like_a_column_pattern_is_a_rejected_row(
    tmp_path: Path, name: str, suffix: str
) -> None:
    good = {"id": "a", "source": "s", "subject": ADULT, "type": "t", "occurred_at": "2024-01-01"}
    bad = {**good, "id": "b", "data": {name: 1}}
    path = tmp_path / f"events{suffix}"
    if suffix == ".ndjson":
        path.write_text(f"{json.dumps(good)}\n{json.dumps(bad)}\n")
    else:
        path.write_text(f"[\n{json.dumps(good)},\n{json.dumps(bad)}\n]\n")
    frame, rejected = read_events_file(path)
    assert frame.get_column("id").to_list() == ["a"]
    [rejection] = rejected
    assert rejection.line == (2 if suffix == ".ndjson" else 3)
    assert repr(name) in rejection.reason
