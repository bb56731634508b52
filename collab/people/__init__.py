"""People: who signs in, how, and what they may open."""
