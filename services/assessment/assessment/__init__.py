"""Assessment: live attainment per county and per institution, checkpoints, escalations."""
