"""AppIDs and permitted use (APP-1 to APP-4)."""
