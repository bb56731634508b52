"""Durable storage of rooms: an append-only update log per room plus a compacted state."""
