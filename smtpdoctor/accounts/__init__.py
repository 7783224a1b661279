"""Account sources for ``--accounts``: files, stdin and PostgreSQL."""
