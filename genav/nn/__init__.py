"""genav.nn."""
