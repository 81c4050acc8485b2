"""Workflows: start and end as explicit, named steps. They never print or prompt."""
