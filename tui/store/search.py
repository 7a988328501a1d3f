"""Full-text search over conversation titles and message text: turning whatever a person typed into a
safe FTS5 query, and marking matches. Title hits come first, then every matching message, newest first.

Every token is quoted (embedded quotes doubled), so FTS5 operators, column filters
and stray punctuation are plain text; the last token is a prefix so results appear
while typing (from its second character: a one-letter prefix matches nearly every
message and would need a scan of the whole index).

Snippets wrap each match in SNIPPET_OPEN and SNIPPET_CLOSE, private-use characters,
so brackets or any other text in a message is never taken for a match; the rare
message that holds those characters itself has them replaced by ESCAPED.
"""

from __future__ import annotations

#: Marks around a matched term in `SearchHit.snippet` (Unicode private use: no meaning of their own).
SNIPPET_OPEN = "\ue000"
SNIPPET_CLOSE = "\ue001"
#: What a message's own SNIPPET_OPEN or SNIPPET_CLOSE character shows as in a snippet.
ESCAPED = "\ufffd"

_MARKS = (SNIPPET_OPEN, SNIPPET_CLOSE)
_SNIPPET_ARGS = "'…', 12"

# `plain` (the same fragment without marks) is only needed for a message holding a mark character itself.
SEARCH_SQL = f"""
SELECT m.conversation_id, m.id AS message_id, c.title, m.role, m.created_at,
       snippet(messages_fts, 0, char({ord(SNIPPET_OPEN)}), char({ord(SNIPPET_CLOSE)}), {_SNIPPET_ARGS}) AS snippet,
       CASE WHEN instr(m.content, char({ord(SNIPPET_OPEN)})) OR instr(m.content, char({ord(SNIPPET_CLOSE)}))
            THEN snippet(messages_fts, 0, '', '', {_SNIPPET_ARGS}) END AS plain
FROM messages_fts
JOIN messages m ON m.id = messages_fts.rowid
JOIN conversations c ON c.id = m.conversation_id
WHERE messages_fts MATCH ?
ORDER BY messages_fts.rowid DESC
LIMIT ?
"""

# The whole title, marked (titles are short); `plain` as above.
TITLE_SEARCH_SQL = f"""
SELECT c.id AS conversation_id, c.title, c.updated_at,
       highlight(conversations_fts, 0, char({ord(SNIPPET_OPEN)}), char({ord(SNIPPET_CLOSE)})) AS snippet,
       CASE WHEN instr(c.title, char({ord(SNIPPET_OPEN)})) OR instr(c.title, char({ord(SNIPPET_CLOSE)}))
            THEN c.title END AS plain
FROM conversations_fts
JOIN conversations c ON c.id = conversations_fts.rowid
WHERE conversations_fts MATCH ?
ORDER BY c.updated_at DESC, c.id DESC
LIMIT ?
"""


def match_expression(text: str) -> str | None:
    """An FTS5 MATCH expression for `text`, or None when it holds nothing searchable."""
    # A NUL would end the expression early inside SQLite, leaving a quote unterminated.
    tokens = [token for token in text.replace("\x00", " ").split() if any(ch.isalnum() for ch in token)]
    if not tokens:
        return None
    phrases = ['"' + token.replace('"', '""') + '"' for token in tokens]
    if sum(ch.isalnum() for ch in tokens[-1]) > 1:
        phrases[-1] += "*"
    return " ".join(phrases)


def escaped_snippet(marked: str, plain: str | None) -> str:
    """`marked` with the message's own mark characters made ESCAPED, so only real marks remain.

    `plain` is the same snippet without marks (None when the message holds no mark character):
    snippet() only inserts marks, so walking both together tells each inserted mark apart.
    """
    if plain is None:
        return marked
    escaped: list[str] = []
    position = 0
    for char in marked:
        if position < len(plain) and char == plain[position]:
            escaped.append(ESCAPED if char in _MARKS else char)
            position += 1
        else:
            escaped.append(char)
    return "".join(escaped)


def snippet_parts(snippet: str) -> list[tuple[str, bool]]:
    """`snippet` as (text, is_match) runs without the marks; a mark left open by a cut runs to the end."""
    head, *marked = snippet.split(SNIPPET_OPEN)
    parts = [(head, False)]
    for chunk in marked:
        match, _, rest = chunk.partition(SNIPPET_CLOSE)
        parts += [(match, True), (rest, False)]
    return [(text, is_match) for text, is_match in parts if text]
