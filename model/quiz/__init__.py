"""The quiz: the one definition of the questions (``definition``, from ``quiz.json``), how a question and an
answer look to a person (``presentation``), dates as typed (``dates``) and the one validation path for one
answer set and a million rows (``validation``).

The lowest layer above ``model.errors``: it imports nothing else of the package.
"""
