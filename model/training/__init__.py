"""Fitting and judging a model: the scikit-learn faces of the variables and the basis (``estimators``), the
sign-constrained logistic regression (``logistic``), training and saving (``train``, with its defaults in
``settings``), every variable ``FeatureExtractor`` gives (``variables``), metrics (``metrics``) and the
comparison with peer models (``evaluate``).

The only place scikit-learn is imported; scoring never needs it.
"""
