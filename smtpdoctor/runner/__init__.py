"""Running a command: its options, the check, the probe pipeline, the fix search, fleets."""
