from matchmaking.app import build
from matchmaking.settings import MatchmakingSettings
from shared.service import serve

settings = MatchmakingSettings()
serve(build(settings), settings)
