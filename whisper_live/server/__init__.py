"""The WebSocket server: admission, per-client threads and the model pool."""
