from shared.service import serve

from roster.app import build
from roster.settings import RosterSettings

settings = RosterSettings()
serve(build(settings), settings)
