"""WhatsApp Cloud API: the webhook, its payload, the conversation, replies sent."""
