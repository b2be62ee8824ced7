"""The de-duplication key of an article."""

from __future__ import annotations

import hashlib
import unicodedata


def normalise_for_fingerprint(text: str) -> str:
    """Fold Unicode form and all whitespace (line endings included) to one canonical form.

    str.split() splits on exactly the characters `\\s` matches, four times faster than
    re.sub: stored fingerprints stay valid (a test checks every code point).
    """
    return " ".join(unicodedata.normalize("NFKC", text).split())


def fingerprint(title: str, body: str) -> str:
    """sha256 hex of the normalised title and body: equal for the same article however dumped."""
    key = normalise_for_fingerprint(title) + "\n" + normalise_for_fingerprint(body)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
