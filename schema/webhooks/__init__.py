"""Partner webhooks and the live event subscription (issue 14)."""
