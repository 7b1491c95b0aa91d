"""Teaching material: worked examples, the simulation lab, the forensic reconstruction."""
