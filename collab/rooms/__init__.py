"""Rooms: one live pycrdt Doc per room, its peers, and the path of every update."""
