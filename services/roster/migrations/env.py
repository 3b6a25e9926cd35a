from shared.migrations import run

from roster.settings import RosterSettings
from roster.storage import metadata

run(metadata, RosterSettings())
