"""``python -m tepat`` runs the command line."""

from tepat.cli import main

main()
