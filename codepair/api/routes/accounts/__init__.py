"""Routes for accounts: sign-in, the signed-in user, and the users leads manage."""
