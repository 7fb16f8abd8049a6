"""Any text, any bytes: stored exactly, or refused with InvalidInput and nothing written."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genie_repo.db import Database
from genie_repo.errors import InvalidInput

# Every code point, lone surrogates and NUL included.
ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=200)
SETTINGS = settings(
    max_examples=60, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(texts=st.lists(ANY_TEXT, min_size=1, max_size=5, unique=True), blob=st.binary())
def test_text_round_trips_or_is_refused(scratch: Database, texts: list[str], blob: bytes) -> None:
    db = scratch
    db.execute("scratch.delete_all")  # one database per test; each example starts empty
    stored: dict[int, str] = {}
    for i, text in enumerate(texts):
        valid = "\x00" not in text and not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
        before = db.fetch_value("scratch.count")
        try:
            db.execute("scratch.insert", {"id": i, "t": text, "b": blob, "i": i, "f": None,
                                          "ts": None, "flag": None})
        except InvalidInput:
            assert not valid, f"valid text refused: {text!r}"
            assert db.fetch_value("scratch.count") == before
        else:
            assert valid, f"invalid text accepted: {text!r}"
            stored[i] = text
    rows = db.fetch_all("scratch.list")
    assert {r["id"]: r["t"] for r in rows} == stored
    assert all(r["b"] == blob for r in rows)
