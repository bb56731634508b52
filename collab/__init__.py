"""collab: a self-hosted real-time collaborative document server speaking the Yjs protocol."""

from collab.app import create_app
from collab.config import Settings

__all__ = ["Settings", "create_app"]
