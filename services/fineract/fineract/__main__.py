from fineract.app import build
from fineract.settings import FineractSettings
from shared.service import serve

serve(build(FineractSettings()))
