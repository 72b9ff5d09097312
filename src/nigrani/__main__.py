"""`python -m nigrani` runs the command line."""

from nigrani.cli import app

app()
