"""Full-text search: turning whatever a person typed into a safe FTS5 query.

Every token is quoted (embedded quotes doubled), so FTS5 operators, column filters
and stray punctuation are plain text; the last token is a prefix so results appear
while typing (from its second character: a one-letter prefix matches nearly every
message and would need a scan of the whole index).
"""

from __future__ import annotations

SNIPPET_OPEN = "["
SNIPPET_CLOSE = "]"

SEARCH_SQL = f"""
SELECT m.conversation_id, m.id AS message_id, c.title, m.role, m.created_at,
       snippet(messages_fts, 0, '{SNIPPET_OPEN}', '{SNIPPET_CLOSE}', '…', 12) AS snippet
FROM messages_fts
JOIN messages m ON m.id = messages_fts.rowid
JOIN conversations c ON c.id = m.conversation_id
WHERE messages_fts MATCH ?
ORDER BY messages_fts.rowid DESC
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
