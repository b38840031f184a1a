"""Load benchmark: the real bot as its own process against the loopback fakes (``python -m bench``)."""
