from matchmaking.app import build
from matchmaking.settings import MatchmakingSettings
from shared.service import serve

serve(build(MatchmakingSettings()))
