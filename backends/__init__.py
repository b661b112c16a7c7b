"""tfir's backends: one package (or module) per target behind the `Backend`
interface of base.py, listed in registry.py; common/ holds what every code
generator shares."""
