"""The live ops page: the pipeline's throughput, lag, routes and denial signal in a browser.

Read-only: it scrapes the services' own ``/metrics`` (or queries a Prometheus), probes their
``/healthz`` and ``/readyz``, reads the ingest inbox's report sidecars for file names, and serves
one self-contained page (no build step, no CDN) on loopback by default.
"""
