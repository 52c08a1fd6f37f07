"""The value service: what difference each pound made, by the reference value method."""
