"""genav.attention."""
