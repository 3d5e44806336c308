"""What happens when in one clip: optical flow and its peaks (``optical_flow``), audio onsets
(``onsets``, ``onset_strength``), and the clip-level measures built on them: AV-Align of one clip
(``av_align_clip``) and the weight-free sync measure (``sync_measure``)."""
