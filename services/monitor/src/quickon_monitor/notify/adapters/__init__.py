"""What notifications reach outside the platform: webhooks, chat bots and SMTP servers."""
