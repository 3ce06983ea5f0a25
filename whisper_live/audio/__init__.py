"""Audio on the wire: G.711 codecs, resampling, and the per-session frame decoder and client-side encoder.

Shared by the server (every protocol's audio input), the client library and the bench. Importing this
package imports nothing heavy; :mod:`whisper_live.audio.resample` needs PyAV.
"""
