"""What REST and the CLI do to documents, over the live rooms and the store."""
