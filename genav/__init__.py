"""genav: generative audio-video-text synthesis (text-to-audio, video-to-audio, audio-to-video).

Importing ``genav`` is cheap: torch and the models load only when a pipeline or command needs them.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
