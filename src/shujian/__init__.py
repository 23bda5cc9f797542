"""shujian (数检): an open-source big-data legal supervision platform for Chinese procuratorates."""

__version__ = "0.1.0"
__all__ = ["__version__"]
