"""Source exports generated from the true population: DTKS, Regsosek 2022 and P3KE."""
