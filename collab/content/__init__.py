"""Pure pycrdt document transforms: no I/O, nothing of the live rooms."""
