"""Suites: measured programs + manifest + split files, packed, checksummed and loaded."""
