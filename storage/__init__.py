"""salesbot: storage floor."""
