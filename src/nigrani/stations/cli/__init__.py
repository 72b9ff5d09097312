"""`nigrani` subcommands of station oversight: demo cameras, recordings cleanup."""
