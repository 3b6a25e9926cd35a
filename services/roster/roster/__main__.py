from roster.app import build
from roster.settings import RosterSettings
from shared.service import serve

serve(build(RosterSettings()))
