"""Local stand-ins of the platforms' servers (Telegram Bot API, Slack Web API), for adapter tests."""
