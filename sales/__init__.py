"""salesbot: sales floor."""
