"""Imported by the extraction workers' fork server: what every page needs, loaded once.

Each worker is forked from that server, so the extractor, the date parsers and the
language model are loaded one time for all of them instead of once per worker (about
a second of CPU each).
"""

from __future__ import annotations

import trafilatura  # noqa: F401 - loaded for the workers
from htmldate import find_date

from . import language, webpage  # noqa: F401 - loaded for the workers

language.detect_language("A sentence that loads the language model once for every worker.")
find_date("<html><body><p>Published on 5 March 2019</p></body></html>")
