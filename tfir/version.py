"""tfir's version, apart so that the cache can key on it without importing the API."""

__version__ = "0.1.0"
