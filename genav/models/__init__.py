"""genav.models."""
