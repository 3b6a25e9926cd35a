from ledger.app import build
from ledger.settings import LedgerSettings
from shared.service import serve

serve(build(LedgerSettings()))
