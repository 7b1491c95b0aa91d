"""Presentation: given results and a Dataset, never loading, pooling or running analyses.

``style`` (palette, type sizes) · ``figures`` (SVG/PNG wrappers with alt text) · ``revman_text``
(RevMan's text lines and axis scales) · ``forest_data`` / ``forest_adapt`` (what a forest plot
shows, built from a typed analysis result) · ``forest`` (drawing) · ``evidence_map`` ·
``tables`` · ``sof`` (summary of findings) · ``grade`` (absolute effects, GRADE statements) ·
``values`` (the ``v`` a chapter's prose reads with ``{eval}``) · ``analysis_values`` (an
analysis's numbers for the prose) · ``trial_counts`` (trials and participants counted and named) ·
``phrases`` (numbers put into words) · ``data_analyses`` (the review's Data and analyses) ·
``wording`` (words for status codes) · ``plots`` (the figure names chapters import).
"""
