"""Stage 2: merge identities, thread mail, extract and resolve references, build the workspace."""
