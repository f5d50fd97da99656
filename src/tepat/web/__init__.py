"""The registry service's HTTP edge: app factory, dependencies, error mapping, logging."""
