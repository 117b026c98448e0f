"""Interactions captured without typing: calendar (.ics) and mail (.eml, mbox) files.

``parsers`` turns a file into items (one meeting occurrence or one message each); ``services``
matches their addresses to contacts and to our people, merges duplicates and writes the
interactions in one transaction (decisions 73–75).
"""
