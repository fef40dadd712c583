"""The organisation: departments and groups, users and roles, API tokens.

Entry points: ``org.auth`` (authenticate, issue_token, user_for_token,
create_user), ``org.admin`` (directory administration), ``org.models``.
"""
