"""One reader per event file format, each returning the same text frame.

`socialcredit.ingest.readers` picks the reader; `textframe` holds what they share.
"""
