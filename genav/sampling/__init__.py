"""genav.sampling."""
