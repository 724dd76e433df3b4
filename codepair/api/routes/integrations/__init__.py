"""Routes for integrations: API tokens, mail, single sign-on, webhooks."""
