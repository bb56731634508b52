"""People: who signs in (built-in accounts, the organisation's OpenID Connect provider), their
sessions, and their access to documents."""
