"""Networks that turn clips into logits and embeddings for the metrics, loaded from local files.

The interface (``base``), picking a loader by name or file (``registry``, ``extractors``), the
networks (``cnn14``, ``passt``, ``vggish``, ``clap``, the genav ``tagger`` and its classes in
``tagger_labels``), safe checkpoint reading (``state_dicts``) and the text-to-video object and
colour reader (``video_objects``). Their training lives in :mod:`genav.train`.
"""
