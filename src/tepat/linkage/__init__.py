"""Record linkage: standardisation of names, identifiers and addresses, then matching."""
