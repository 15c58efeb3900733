"""Counter services: one function per clerk action (use cases). No textual import here.

`perform`, `prefill` and `Outcome` are the engine's, loaded on first use: importing the engine loads every
form, document and printing module, which the sign-in screen (it needs only `clerks`) has no use for.
"""

__all__ = ["Outcome", "perform", "prefill"]


def __getattr__(name: str):
    if name in __all__:
        from counter.services import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'counter.services' has no attribute {name!r}")
