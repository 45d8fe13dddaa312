"""One answer set's results report: build it (``build``), say its factors (``factors``), render it (``render``),
the evaluation page (``evaluation``), and the templates they share.

``FORMATS`` is here, not in ``render``, so the command line can list them without loading jinja2.
"""

FORMATS = ("md", "json", "html")
