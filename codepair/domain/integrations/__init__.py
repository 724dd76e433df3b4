"""Integrations: mail, single sign-on, webhooks, API tokens, and the outbox that delivers."""
