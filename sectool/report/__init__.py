"""Reports for the health cyber forum."""
