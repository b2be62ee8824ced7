"""How large a piece of a dump may be before it is refused, checked while reading.

A dump is untrusted input: an unclosed quote in a CSV, a JSON Lines file with no line
breaks or a decompression bomb must end in one clear message, not in a process that holds
gigabytes. Each limit is checked before the thing it limits is held in memory whole.
"""

from __future__ import annotations

MB = 1 << 20

# One plain-text article file (bytes).
MAX_TEXT_FILE = 16 * MB
# One JSON Lines line, one JSON value of a JSON document (characters).
MAX_JSON_RECORD = 32 * MB
# One CSV field, and one CSV record (its fields together, quoted line breaks included).
MAX_CSV_FIELD = 8 * MB
MAX_CSV_RECORD = 32 * MB
# What one compressed stream (.gz, .bz2, .xz) or archive member may decompress to, and
# how much more than its compressed size (real text compresses 3-15 times; a bomb, 1,000).
MAX_DECOMPRESSED = 4 << 30
MAX_RATIO = 200
RATIO_CHECKED_FROM = 64 * MB  # small streams are never refused for their ratio
# A ZIP archive that is itself compressed or inside another archive is read into memory.
MAX_ZIP_IN_MEMORY = 200 * MB
# One HTML page: a page file, or the payload of one WARC response (bytes). A larger "page"
# is not an article page, and would hold an extraction worker long.
MAX_PAGE = 20 * MB
# One RSS or Atom feed (feedparser reads a feed whole), one e-mail message of an mbox or
# .eml file, one <REUTERS> element of an SGML file (bytes).
MAX_FEED = 64 * MB
MAX_MESSAGE = 32 * MB
MAX_SGML_ELEMENT = 4 * MB
# One article's fields (characters).
MAX_TITLE = 2_000
MAX_BODY = 5 * MB
MAX_TAG = 100
MAX_TAGS = 200
# Archives inside archives.
MAX_NESTING = 4
