from assessment.app import build
from assessment.settings import AssessmentSettings
from shared.service import serve

serve(build(AssessmentSettings()))
