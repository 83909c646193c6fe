"""The learner's workbook: one module per chapter, generated from solutions/.

Regenerate with `python -m minidl.course sync` (your edits are kept).
"""
