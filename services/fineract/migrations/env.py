from fineract.settings import FineractSettings
from fineract.storage import metadata
from shared.migrations import run

run(metadata, FineractSettings())
