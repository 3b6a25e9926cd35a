from shared.migrations import run

from matchmaking.settings import MatchmakingSettings
from matchmaking.storage import metadata

run(metadata, MatchmakingSettings())
