from matchmaking.settings import MatchmakingSettings
from matchmaking.storage import metadata
from shared.migrations import run

run(metadata, MatchmakingSettings())
