"""Releases: the published, never-changed output of a cycle, and the report that describes one."""
