"""Backup and restore of a workspace (``shujian backup`` / ``shujian restore``)."""
