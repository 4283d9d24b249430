"""One module per subcommand; each exposes `main(...) -> int`."""
