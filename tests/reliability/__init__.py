"""The fault suite (issue 8): real processes, real faults, every accepted event reconciled."""
