"""bulkcontacts: move contacts in bulk between files and contact APIs."""

__version__ = "0.2.0"
