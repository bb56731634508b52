"""Once-per-room work: compaction, automatic versions and their thinning, leases."""
