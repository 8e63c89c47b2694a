"""Who is calling: the caller named by the verified client certificate (TLS peer or trusted proxy)."""
