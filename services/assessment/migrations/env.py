from shared.migrations import run

from assessment.settings import AssessmentSettings
from assessment.storage import metadata

run(metadata, AssessmentSettings())
