"""Status service: the invoice projections and the queries they answer."""
