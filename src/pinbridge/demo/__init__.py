"""The ``pinbridge demo`` pipeline: sample events, local processes and the summary.

Everything the demo needs ships in the package (no file outside it is read), and nothing
here is used by ``pinbridge serve``.
"""

__all__: list[str] = []
