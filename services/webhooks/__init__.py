"""Partner webhooks (issue 14): endpoints, the outbox fan-out and signed delivery."""
