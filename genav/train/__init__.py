"""genav.train."""
