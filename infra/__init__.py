"""Plumbing shared by every process: the Temporal connection and its payload codec."""
