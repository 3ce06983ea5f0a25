"""Operating the server: who may connect, TLS, health and metrics, the HAProxy agent, logs and environment."""
