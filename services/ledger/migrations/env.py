from ledger.settings import LedgerSettings
from ledger.storage import metadata
from shared.migrations import run

run(metadata, LedgerSettings())
