"""genav.codecs."""
