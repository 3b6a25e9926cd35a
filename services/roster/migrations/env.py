from roster.settings import RosterSettings
from roster.storage import metadata
from shared.migrations import run

run(metadata, RosterSettings())
