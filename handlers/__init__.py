"""salesbot: handlers floor."""
