"""The protocol's one error: a client broke a rule of the wire protocol."""


class ProtocolError(ValueError):
    """A client broke the protocol; the message is meant to be shown to that client."""
