"""An in-memory PerfectGym studio served over an httpx transport: the demo's backend, and the base of the tests' fake."""
