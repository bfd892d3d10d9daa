"""The operator's console inside the Django admin: the fraud review page, the support page and
the home panel's additions. Core owns it because it reads every layer below (people, money,
flattrs); platform apps add their own review checks and user lookups through `registry`.
"""
