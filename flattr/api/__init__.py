"""Flattr's REST API v2, its OAuth2 provider (django-oauth-toolkit) and outgoing webhooks.

Part of core: the endpoints call the same services and selectors as the pages (flattr.services,
flattr.selectors), so a flattr through the API obeys exactly the rules of a click on the site.
"""
