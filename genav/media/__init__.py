"""genav.media."""
