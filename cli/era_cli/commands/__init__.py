"""Subcommands of `era`. Each module exposes ``register(subparsers)`` which adds its parser and
sets ``func`` (``Callable[[argparse.Namespace], int]``) as the parser default."""
