"""genav.eval."""
