from shared.service import serve

from matchmaking.app import build
from matchmaking.settings import MatchmakingSettings

settings = MatchmakingSettings()
serve(build(settings), settings)
