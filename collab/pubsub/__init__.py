"""Fan-out between collab processes: a lossy bus, repaired from the database's log."""
