"""The commands, one module per family; each registers itself with @command when imported (registry.load_all)."""
