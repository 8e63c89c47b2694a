"""The integrators portal: Flask pages over the integrator aggregate (seed 000, FACe "Manual de integradores")."""
