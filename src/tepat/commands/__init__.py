"""Command-line command groups; ``tepat.cli`` assembles them into one ``tepat`` command."""
