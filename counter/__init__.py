"""counter: the one-stop counter workstation for residence registration."""

__version__ = "0.1.0"
