"""The guide's plan as rules: the rules file (``rules``, ``advice_rules.toml``: every number with its
source), the decision for any number of rows (``decide``: stage, plan, earliest day), the words for one
decided row (``words``) and the guide's flags as variables (``flags``).

Boundaries come first: after a request to stop, a block or heavy pursuit there is no date at all.
"""
