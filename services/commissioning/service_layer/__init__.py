"""One handler per use case; reads in `queries`."""
