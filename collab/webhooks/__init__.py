"""Webhooks for non-Python hosts: signed POSTs on document change, version and delete."""
