"""Published rulebook versions are immutable: the same text again is a no-op, other text
under the same id and version is refused."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from socialcredit.errors import PublishConflictError
from socialcredit.rulebooks import bundled_files
from socialcredit.rules.loader import parse_rulebook
from socialcredit.storage import Store
from tests.storage.rows import LATER, RECORDED

TEXT = '[rulebook]\nid = "town"\nversion = "2025.1"\neffective = 2025-01-01\n'


def test_publishing_stores_the_text_with_its_sha256(store: Store) -> None:
    published = store.publish_rulebook(
        "town", "2025.1", date(2025, 1, 1), TEXT, published_at=RECORDED
    )
    assert published.outcome == "new"
    assert published.content_hash == hashlib.sha256(TEXT.encode()).hexdigest()
    row = store.rulebook_versions("town").row(0, named=True)
    assert row["text"] == TEXT
    assert row["effective"] == date(2025, 1, 1)
    assert row["content_hash"] == published.content_hash


def test_publishing_the_same_text_again_changes_nothing(store: Store) -> None:
    store.publish_rulebook("town", "2025.1", date(2025, 1, 1), TEXT, published_at=RECORDED)
    again = store.publish_rulebook("town", "2025.1", date(2025, 1, 1), TEXT, published_at=LATER)
    assert again.outcome == "exists"
    assert store.rulebook_versions().height == 1
    assert store.rulebook_versions().item(0, "published_at") == "2025-01-01T08:00:00.000000+00:00"


@pytest.mark.parametrize(
    ("effective", "text"),
    [(date(2025, 1, 1), TEXT + "# changed\n"), (date(2025, 2, 1), TEXT)],
)
def test_other_content_under_a_published_version_is_refused(
    store: Store, effective: date, text: str
) -> None:
    store.publish_rulebook("town", "2025.1", date(2025, 1, 1), TEXT, published_at=RECORDED)
    with pytest.raises(PublishConflictError, match=r"town version 2025\.1 .*new version"):
        store.publish_rulebook("town", "2025.1", effective, text, published_at=LATER)
    assert store.rulebook_versions().get_column("text").to_list() == [TEXT]


def test_versions_are_listed_by_rulebook_then_effective_date(store: Store) -> None:
    for rulebook_id, files in bundled_files().items():
        for item in files:
            text = item.read_text(encoding="utf-8")
            book = parse_rulebook(text, item.name)
            store.publish_rulebook(
                rulebook_id, book.version, book.effective, text, published_at=RECORDED
            )
    store.publish_rulebook("town", "2026.1", date(2026, 1, 1), TEXT + "#", published_at=LATER)
    store.publish_rulebook("town", "2025.1", date(2025, 1, 1), TEXT, published_at=LATER)
    listed = store.rulebook_versions().select("rulebook", "version").rows()
    assert listed == sorted(listed)
    assert len(listed) == sum(len(files) for files in bundled_files().values()) + 2
    assert store.rulebook_versions("town").get_column("version").to_list() == ["2025.1", "2026.1"]
