"""`python -m bot.cli`: the salesbot command."""

from bot.cli import main

main()
