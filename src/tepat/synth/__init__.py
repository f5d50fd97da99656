"""Synthetic population: households, people, life events, source exports and ground truth."""
