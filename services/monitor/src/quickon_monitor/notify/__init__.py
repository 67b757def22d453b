"""Notifications: channels, which events each gets, and their durable delivery with retries.

A sub-package of the monitor with the shape of a service's own (domain, messages, handlers, queries,
delivery, settings, adapters), so that alert rules and metrics, beside it in the monitor, stay apart.
"""
