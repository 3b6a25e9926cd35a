from shared.service import serve

from ledger.app import build
from ledger.settings import LedgerSettings

settings = LedgerSettings()
serve(build(settings), settings)
