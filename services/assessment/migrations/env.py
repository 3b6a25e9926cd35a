from assessment.settings import AssessmentSettings
from assessment.storage import metadata
from shared.migrations import run

run(metadata, AssessmentSettings())
