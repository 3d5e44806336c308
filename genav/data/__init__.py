"""genav.data."""
