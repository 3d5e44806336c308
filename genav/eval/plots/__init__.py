"""PNG plots of evaluation results (matplotlib from the ``[plots]`` extra, written atomically):
AV-Align (``av_align``), the sync measure (``sync``), text-to-video (``video``), audio-to-video
(``a2v``) examples and spectrogram sheets (``spectrograms``)."""
