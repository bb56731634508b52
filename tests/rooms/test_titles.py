"""The URL names derived from titles."""

from __future__ import annotations

import itertools
import re

from collab.documents.titles import MAX_SLUG, candidate_names, slug
from collab.types import is_valid_room_name


def test_slugs_are_lowercase_ascii_words_joined_by_dashes():
    assert slug("Team notes") == "team-notes"
    assert slug("  Q3 -- Roadmap / Draft!! ") == "q3-roadmap-draft"
    assert slug("Crème brûlée für Øl") == "creme-brulee-fur-l"
    assert slug("\uff26\uff55\uff4c\uff4c width") == "full-width"  # full-width letters
    assert slug("議事録") is None and slug("🚀🚀") is None and slug("---") is None


def test_long_titles_are_cut_at_a_word_boundary_that_leaves_room_for_a_suffix():
    name = slug("word " * 40)
    assert name is not None and len(name) <= MAX_SLUG and not name.endswith("-")


def test_candidates_number_taken_names_then_fall_back_to_random_ones():
    names = list(itertools.islice(candidate_names("Team notes"), 53))
    assert names[:3] == ["team-notes", "team-notes-2", "team-notes-3"]
    assert names[50] == "team-notes-51"
    assert re.fullmatch(r"team-notes-[0-9a-f]{6}", names[51]) and names[52] != names[51]
    assert all(is_valid_room_name(name) for name in names)
    japanese = list(itertools.islice(candidate_names("議事録"), 3))
    assert all(n.startswith("doc-") and is_valid_room_name(n) for n in japanese)
    assert len(set(japanese)) == 3
