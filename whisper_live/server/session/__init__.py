"""The life of a live client on the server: admission, its connections, resume, drain and its end."""
