"""Source registries: adapters that read DTKS, Regsosek, P3KE (or any mapped file) into staging."""
