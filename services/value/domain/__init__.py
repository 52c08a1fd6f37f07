"""Pure value arithmetic: no I/O. Money is exact (int pence, Fraction) until a report prints."""
