from shared.service import serve

from assessment.app import build
from assessment.settings import AssessmentSettings

settings = AssessmentSettings()
serve(build(settings), settings)
