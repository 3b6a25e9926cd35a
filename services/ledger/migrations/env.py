from shared.migrations import run

from ledger.settings import LedgerSettings
from ledger.storage import metadata

run(metadata, LedgerSettings())
