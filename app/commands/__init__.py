"""One module per ``gatehouse`` subcommand, each with ``register(subparsers)``."""
