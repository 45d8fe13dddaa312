"""The model and its checks carried to other engines: one SQL query (``sql``), one JSON document
(``portable``). Both are written from the model's own tables (``model.odds.tables``), the quiz
definition and the plan's rules file, never from numbers restated by hand."""
