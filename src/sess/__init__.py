"""sess: explicit work sessions on git branches, handed off as pull requests."""

__version__ = "0.5.0"
