"""The core: the model, errors, parsing, text order, clock, language, values in words.

Standard library only; nothing here imports another salespipe package.
"""
