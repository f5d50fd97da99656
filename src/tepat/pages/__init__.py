"""Server-rendered web pages on the registry service, in Bahasa Indonesia (English available).

Pages read and change data only through the same service functions as the REST API, so the
region scope, masking and audit rules are the API's. ``install(app)`` adds the page routes, the
static files (htmx, vendored), HTML error pages for page paths and the ``Server-Timing`` header.
See docs/PAGES.md.
"""

from __future__ import annotations

from tepat.pages.app import install

__all__ = ["install"]
