"""salesbot: bot floor."""
