"""The built-in section providers, registered by entry point like any plugin."""
