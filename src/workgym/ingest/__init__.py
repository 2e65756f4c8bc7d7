"""Stage 1: read real export formats into records, with every record accounted for."""
