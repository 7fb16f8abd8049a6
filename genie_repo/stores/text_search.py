"""Text search in every script, as pure functions shared by the stores (no I/O, no SQL).

What a caller stores. For each searchable text keep `index_terms(text)` in a TEXT column (the
"terms column"): space-separated terms, computed here in Python so that both dialects index
exactly the same set. The terms are
- every word, case-folded, followed by WORD_MARK ("lisbon·"): whole-word matches;
- every 3-character window of every separator-free run ("lis", "isb", ...): partial matches;
- in scripts written without spaces (Han, kana, Hangul, Thai, ...): every character and every
  2-character window as well, so 1- and 2-character queries find text inside a run.
Index the column as one token per term:
- SQLite: an FTS5 table over it with `tokenize='ascii'` (terms hold no ASCII separator, and
  every non-ASCII character is a token character there); `detail=none` is enough.
- PostgreSQL: `array_to_tsvector(string_to_array(terms, ' '))` in a GIN index (no parser, no
  dictionary: lexemes are the terms as written).

How to query it. `query_needles(query)` turns user text into needles; a row matches a needle
when (1) it holds every one of `needle.terms` (`fts5_expression(needle.terms)` for MATCH,
`tsquery_expression(needle.terms)` cast to tsquery for @@; both quote every term, so user text is
never query syntax), and (2) its terms column contains `needle.text`
(`instr(terms, text) > 0` / `strpos(terms, text) > 0`): (1) is the index lookup, (2) removes the
few rows whose trigrams are all present but not adjacent. The match is a whole-word match when
`' ' || terms || ' '` contains `needle.whole_pattern`. A needle is found in a text exactly when
its text occurs in the case-folded text (within the first MAX_INDEXED_CHARS characters), except
that a needle of 1-2 characters in a spaced script (Latin, Cyrillic, ...) must be a whole word.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

WORD_MARK = "\u00b7"
"""Ends every whole-word term. MIDDLE DOT is punctuation, so it never occurs inside a word, and
it is non-ASCII, so FTS5's ascii tokenizer keeps it inside the term."""

MAX_INDEXED_CHARS = 10_000
"""Only the start of a longer text is indexed (keeps a PostgreSQL tsvector under its 1 MB cap)."""

MAX_WORD_CHARS = 100
"""Longer words get no whole-word term (a PostgreSQL lexeme is at most 2 KB); their trigrams
still make them findable as partial matches."""

MAX_QUERY_CHARS = 4096
"""Only the start of a longer query is read."""

MAX_NEEDLES = 32
"""Query words beyond this many are ignored (each one costs an index lookup)."""

PARTIAL_MIN_CHARS = 3
"""A query word in a spaced script matches inside words from this many characters on."""

# Punctuation, symbols, spaces and control characters separate words; everything else (letters,
# digits, marks, unassigned code points) belongs to one.
_SEPARATOR_CATEGORIES = frozenset({
    "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp",
    "Cc", "Cf", "Cs",
})

# Scripts written without spaces between words, as half-open code point ranges (sorted).
_UNSPACED_RANGES = (
    (0x0E00, 0x0F00),    # Thai, Lao
    (0x1000, 0x10A0),    # Myanmar
    (0x1100, 0x1200),    # Hangul Jamo
    (0x1780, 0x1800),    # Khmer
    (0x19E0, 0x1A00),    # Khmer symbols
    (0x2E80, 0x2FE0),    # CJK radicals, Kangxi radicals
    (0x3005, 0x3008),    # 々 〆 〇
    (0x3021, 0x302A),    # Hangzhou numerals
    (0x3031, 0x3036),    # kana repeat marks
    (0x3038, 0x303D),
    (0x3040, 0x3100),    # Hiragana, Katakana
    (0x3100, 0x3190),    # Bopomofo, Hangul compatibility Jamo
    (0x31A0, 0x31C0),    # Bopomofo extended
    (0x31F0, 0x3200),    # Katakana phonetic extensions
    (0x3400, 0x4DC0),    # CJK extension A
    (0x4E00, 0xA000),    # CJK unified ideographs
    (0xA000, 0xA4D0),    # Yi
    (0xA960, 0xA980),    # Hangul Jamo extended A
    (0xAA60, 0xAA80),    # Myanmar extended A
    (0xAC00, 0xD800),    # Hangul syllables, Jamo extended B
    (0xF900, 0xFB00),    # CJK compatibility ideographs
    (0xFF66, 0xFFA0),    # halfwidth Katakana
    (0xFFA0, 0xFFE0),    # halfwidth Hangul
    (0x1B000, 0x1B300),  # kana supplement and extensions
    (0x20000, 0x40000),  # CJK extensions B and later
)
_UNSPACED_STARTS = [start for start, _ in _UNSPACED_RANGES]


@dataclass(frozen=True, slots=True)
class Needle:
    """One query word, ready to look up (see the module docstring for the contract).

    `text`: the case-folded word, a substring every matching row's terms contain.
    `terms`: index terms a matching row has all of (never empty).
    `whole_pattern`: found in `' ' + terms + ' '` exactly when the word is a whole word there."""

    text: str
    terms: tuple[str, ...]
    whole_pattern: str


def is_unspaced(char: str) -> bool:
    """True for a character of a script written without spaces between words."""
    code = ord(char)
    index = bisect.bisect_right(_UNSPACED_STARTS, code) - 1
    return index >= 0 and code < _UNSPACED_RANGES[index][1]


def normalise(text: str) -> str:
    """Case-folded text. Folding maps each character on its own, so a case-insensitive
    substring of a text is a substring of its normalised form."""
    return text.casefold()


def runs(text: str) -> list[str]:
    """The separator-free runs of `text`, normalised: the units trigrams never cross."""
    spaced = "".join(
        " " if unicodedata.category(char) in _SEPARATOR_CATEGORIES else char
        for char in normalise(text)
    )
    return spaced.split()


def words(run: str) -> list[str]:
    """A run cut where it changes between a spaced and an unspaced script ("上海office" is
    "上海" and "office"); a combining mark stays with the character before it."""
    pieces: list[str] = []
    start = 0
    previous: bool | None = None
    for position, char in enumerate(run):
        current = previous if unicodedata.category(char)[0] == "M" and previous is not None \
            else is_unspaced(char)
        if previous is not None and current != previous:
            pieces.append(run[start:position])
            start = position
        previous = current
    if run:
        pieces.append(run[start:])
    return pieces


def whole_term(word: str) -> str:
    """The term that marks `word` (already normalised) as a whole word."""
    return word + WORD_MARK


def _run_terms(run: str) -> Iterator[str]:
    for word in words(run):
        if len(word) <= MAX_WORD_CHARS:
            yield whole_term(word)
    for i in range(len(run) - 2):
        yield run[i:i + 3]
    for i, char in enumerate(run):
        if is_unspaced(char):
            yield char
            if i + 1 < len(run):
                yield run[i:i + 2]
            if i > 0 and not is_unspaced(run[i - 1]):
                yield run[i - 1:i + 1]


def index_terms(*texts: str) -> str:
    """What to store in the terms column for `texts` (e.g. a body and its tags; no run crosses
    from one to the next): their distinct terms, space-separated, in order of first
    appearance, empty when there is no word. Only the first MAX_INDEXED_CHARS characters of
    the texts together are indexed."""
    terms: dict[str, None] = {}
    budget = MAX_INDEXED_CHARS
    for text in texts:
        for run in runs(text[:budget]):
            terms.update(dict.fromkeys(_run_terms(run)))
        budget -= min(len(text), budget)
    return " ".join(terms)


def _cover(word: str) -> tuple[str, ...]:
    """Trigrams of `word` whose union covers it: fewer lookups than every window."""
    starts = list(range(0, len(word) - 2, 3))
    if starts[-1] != len(word) - 3:
        starts.append(len(word) - 3)
    return tuple(dict.fromkeys(word[i:i + 3] for i in starts))


def needle(word: str) -> Needle:
    """The needle for one normalised query word (a piece `words` returned)."""
    if len(word) >= PARTIAL_MIN_CHARS:
        terms = _cover(word)
    elif any(is_unspaced(char) for char in word):
        terms = (word,)
    else:
        terms = (whole_term(word),)
    return Needle(text=word, terms=terms, whole_pattern=" " + whole_term(word) + " ")


def query_needles(query: str) -> list[Needle]:
    """The distinct needles of a user query, at most MAX_NEEDLES, in query order. Punctuation,
    symbols and spaces separate words and are never syntax; a query without a word gives []."""
    found: dict[str, Needle] = {}
    for run in runs(query[:MAX_QUERY_CHARS]):
        for word in words(run):
            if word not in found:
                found[word] = needle(word)
                if len(found) == MAX_NEEDLES:
                    return list(found.values())
    return list(found.values())


def fts5_expression(terms: Sequence[str]) -> str:
    """An FTS5 MATCH expression requiring every term: each a quoted string, so `AND`, `NEAR`,
    `*` or `"` in a term are plain text."""
    return " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)


def tsquery_expression(terms: Sequence[str]) -> str:
    """A tsquery (text to cast with ::tsquery) requiring every term, each a quoted lexeme."""
    return " & ".join(
        "'" + term.replace("\\", "\\\\").replace("'", "''") + "'" for term in terms
    )
