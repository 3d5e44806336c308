"""genav.encoders."""
