"""This process's part in a cluster: replication of commits and presence."""
