"""Edge video-analytics daemon for factories."""

__version__ = "0.1.0"
