"""The backup service's edges: the deployer (over NATS), volume data as tar streams, Kubernetes Jobs."""
