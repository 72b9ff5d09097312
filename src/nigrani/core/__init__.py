"""Shared foundations: settings, database, security, errors, templating, i18n, audit, outbox."""
