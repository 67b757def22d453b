"""The deployer's adapters: the market over NATS, the real ``helm template``, the platform's sealing key.
The runtimes (Kubernetes and the simulated cluster) are adapters too, but keep their own package
``quickon_deployer.runtime``, which is large and imported by tests and benchmarks by that name."""
