"""The platform's own Alembic revisions: the tables every service's database has (the inbox,
the outbox and the audit trail of `shared/inbox.py`, `shared/outbox.py`, `shared/audit.py`),
written once.

They are one chain, platform_0001 onward, which every service's migrations read as a second
version location (`shared/migrations.py`). A service's history takes each platform revision
through a revision of its own that merges it (its down_revision names both), placed where
the service first had that table: so the revision ids its databases record keep their
meaning, and a database at any of them upgrades in place.

A new platform revision is written here by hand, next in the chain. Each service's next
revision (`python -m shared.migrations SERVICE "what changed"`) merges it, as a service's
history keeps one head (shared/tests/integration/test_migrations.py); until then, `upgrade`
runs it all the same.
"""
