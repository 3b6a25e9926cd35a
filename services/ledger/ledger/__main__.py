from ledger.app import build
from ledger.settings import LedgerSettings
from shared.service import serve

settings = LedgerSettings()
serve(build(settings), settings)
