"""Scoring exports of any size: the pure core (``core``: ``score_frame``, no I/O), the streaming pipeline
(``pipeline``: ``score_file``, ``check_file``), what an input is and its records (``readers``, with
``blocks`` for CSV), Arrow columns to the frame validation reads (``coding``), the scored copy and the
errors file (``sinks``) and form-tool exports (``mapping``).
"""
