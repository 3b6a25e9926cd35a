"""Assessment's storage: the facts it counts from, the outcomes it derived, its escalations."""

from assessment.storage.tables import metadata

__all__ = ["metadata"]
