"""The back-office gateway: the one authenticated way in for the administration's back offices (RCF platforms)."""
