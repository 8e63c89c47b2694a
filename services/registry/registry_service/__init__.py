"""Registry service: decides whether an invoice is registered, and issues its receipt."""
