"""text_search: the terms a text is indexed by and the needles a query becomes (pure, no DB)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from genie_repo.stores.text_search import (
    MAX_INDEXED_CHARS,
    MAX_NEEDLES,
    WORD_MARK,
    Needle,
    fts5_expression,
    index_terms,
    is_unspaced,
    query_needles,
    runs,
    tsquery_expression,
    words,
)


def matches(text: str, needle: Needle) -> bool:
    """What the SQL does with a needle: every term present, and the text inside the terms."""
    terms = index_terms(text)
    present = set(terms.split())
    return all(term in present for term in needle.terms) and needle.text in terms


def is_whole(text: str, needle: Needle) -> bool:
    return needle.whole_pattern in " " + index_terms(text) + " "


def test_scripts_written_without_spaces() -> None:
    assert all(is_unspaced(c) for c in "上海あア한글ไทย")
    assert not any(is_unspaced(c) for c in "abcÄöпривет123")


def test_runs_fold_case_and_split_on_punctuation() -> None:
    assert runs("Hello, WORLD! bob@example.com") == ["hello", "world", "bob", "example", "com"]
    assert runs("Straße") == ["strasse"]
    assert runs("***") == []


def test_words_split_where_the_script_changes() -> None:
    assert words("shanghai上海office") == ["shanghai", "上海", "office"]
    assert words("e\u0301上") == ["e\u0301", "上"]


def test_terms_hold_whole_words_trigrams_and_cjk_grams() -> None:
    terms = index_terms("Lisbon 上海了").split()
    assert "lisbon" + WORD_MARK in terms and "上海了" + WORD_MARK in terms
    assert {"lis", "isb", "sbo", "bon", "上海了"} <= set(terms)
    assert {"上", "海", "了", "上海", "海了"} <= set(terms)
    assert "li" not in terms and "l" not in terms  # no short grams in spaced scripts
    assert len(terms) == len(set(terms))
    assert index_terms("") == "" and index_terms("!!") == ""
    assert "  " not in index_terms("a  b , c")


def test_several_texts_are_indexed_apart() -> None:
    terms = index_terms("red wine", "travel", "上海").split()
    assert {"wine" + WORD_MARK, "travel" + WORD_MARK, "上海"} <= set(terms)
    assert "ine" in terms and "net" not in terms  # no trigram across two texts
    assert index_terms("x" * MAX_INDEXED_CHARS, "tail") == index_terms("x" * MAX_INDEXED_CHARS)


def test_partial_words_match_from_three_characters() -> None:
    text = "I moved to Lisbon last year"
    lisb, bon, li = (query_needles(q)[0] for q in ("Lisb", "BON", "li"))
    assert matches(text, lisb) and matches(text, bon) and not matches(text, li)
    assert not is_whole(text, lisb)
    lisbon = query_needles("lisbon")[0]
    assert matches(text, lisbon) and is_whole(text, lisbon)


def test_trigrams_present_but_apart_do_not_match() -> None:
    needle = query_needles("abcdef")[0]
    assert set(needle.terms) <= set(index_terms("abcxx xxdef").split()) | {"abc", "def"}
    assert not matches("abcxx xxdef", needle)


def test_one_and_two_character_queries_in_unspaced_scripts() -> None:
    assert matches("我喜欢安静的工作环境", query_needles("安静")[0])
    assert matches("我搬到上海了", query_needles("上海")[0])
    assert matches("我搬到上海了", query_needles("海")[0])
    assert matches("東京に住んでいます", query_needles("住んでい")[0])
    assert matches("서울에서 일합니다", query_needles("서울")[0])
    assert matches("ฉันชอบกาแฟ", query_needles("กาแฟ")[0])
    assert not matches("我搬到上海了", query_needles("北京")[0])


def test_mixed_text_works_for_both_parts() -> None:
    text = "Shanghai上海 office"
    assert [n.text for n in query_needles("shanghai上海")] == ["shanghai", "上海"]
    assert all(matches(text, n) for n in query_needles("shanghai上海 OFFICE"))
    assert matches(text, query_needles("i上")[1])


def test_query_operators_are_never_syntax() -> None:
    needles = query_needles('"tea" AND NEAR(coffee*) -x:y OR ^z')
    assert [n.text for n in needles] == ["tea", "and", "near", "coffee", "x", "y", "or", "z"]
    assert query_needles("*** ??? ") == []
    assert query_needles("a a A") == [query_needles("a")[0]]
    assert len(query_needles(" ".join(f"w{i}" for i in range(100)))) == MAX_NEEDLES


def test_expressions_quote_every_term() -> None:
    assert fts5_expression(['a"b', "c"]) == '"a""b" AND "c"'
    assert tsquery_expression(["it's", "a\\b"]) == "'it''s' & 'a\\\\b'"


TEXT = st.text(
    alphabet=st.sampled_from("abcé ДЖ上海東京あいう한국ไทย-.,X"), min_size=1, max_size=40
)


@given(TEXT, st.data())
def test_every_substring_of_a_run_is_found(text: str, data: st.DataObject) -> None:
    """The superset guarantee, on the pure functions: a word-internal substring of 3+
    characters, or of any length in an unspaced script, matches the text it came from."""
    pieces = runs(text)
    if not pieces:
        return
    run = data.draw(st.sampled_from(pieces))
    start = data.draw(st.integers(0, len(run) - 1))
    sub = run[start:data.draw(st.integers(start + 1, len(run)))]
    if len(sub) < 3 and not any(is_unspaced(c) for c in sub):
        return
    needles = query_needles(sub.upper())
    assert needles and any(matches(text, n) for n in needles)
