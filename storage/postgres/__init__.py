"""The PostgreSQL storage backend (asyncpg): the same :class:`storage.ports.Store` as SQLite.

Installed with the ``postgres`` extra (``pip install 'papers-bot[postgres]'``) and chosen by
a ``postgresql://`` ``DATABASE_URL`` (:mod:`storage.backends`). Start at
:mod:`storage.postgres.store`.
"""
