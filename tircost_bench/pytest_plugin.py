"""pytest plugin for cost-model authors (filled in by the harness); registered through the pytest11 entry point."""
