"""Tepat: an open implementation of DTSEN, Indonesia's national socio-economic registry."""

__version__ = "0.1.0"
