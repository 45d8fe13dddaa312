"""Scoring with a trained model: the variables it reads (``features``), its basis (``basis``), the
calibration and range step (``calibration``), the model as small tables (``lookup``), the top factors
(``explain``), the model at run time (``runtime``) and a model directory on disk (``artifacts``).

Never imports scikit-learn: a model is plain arrays (``weights.npz``) and a card; training lives in
``model.training``.
"""
