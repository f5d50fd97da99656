"""One module per group of pages; each defines ``router`` (found by ``tepat.pages.app``)."""
