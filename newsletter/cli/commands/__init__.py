"""The work behind each CLI command; each ``run`` returns an exit status."""
